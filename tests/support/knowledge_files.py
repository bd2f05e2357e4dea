"""Knowledge documents for tests: sample pages (Markdown, HTML, text), a hand-made text PDF, and
a folder holding them all."""

from __future__ import annotations

from pathlib import Path

PRICING_MD = """---
title: Prices and packages
url: https://studio.example/pricing
---
# Pricing

A website build starts at AUD 4,800 for up to eight pages, including copy editing.
Hosting and maintenance costs AUD 45 a month and can be cancelled any time.

## Payment terms

We invoice 40% at the start, 40% at design approval and 20% at launch.
We accept bank transfer and card payments.
"""

HOURS_HTML = """<!doctype html>
<html><head><title>Opening hours and location</title><style>body{color:red}</style></head>
<body>
<nav><a href="/">Home</a> <a href="/contact">Contact</a> Navigation menu text</nav>
<main>
<h1>Visit our studio</h1>
<p>Our studio is open Monday to Friday from 9 am to 5 pm, closed on public holidays.</p>
<h2>Parking</h2>
<p>Free visitor parking is available behind the building on Harbour Street.</p>
</main>
<footer>Copyright 2026 Harbour Studio. All rights reserved.</footer>
<script>trackVisitor("secret analytics token");</script>
</body></html>
"""

REFUND_TXT = """Refunds

If you cancel a workshop more than seven days ahead we refund the full fee.
Later cancellations can be moved to another date free of charge.
"""


def make_pdf(lines: list[str], title: str | None = None) -> bytes:
    """A minimal valid one-page PDF with a Helvetica text layer (and optional /Title)."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
    for line in lines:
        ops.append(f"({escape(line)}) Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Title (%s) >>" % escape(title or "").encode("latin-1"),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    info = b" /Info 6 0 R" if title else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        info,
        xref,
    )
    return bytes(out)


def write_knowledge_folder(folder: Path) -> Path:
    """A folder (with a sub-folder) holding Markdown, HTML, text and PDF documents."""
    (folder / "sub").mkdir(parents=True, exist_ok=True)
    (folder / "pricing.md").write_text(PRICING_MD)
    (folder / "sub" / "hours.html").write_text(HOURS_HTML)
    (folder / "refunds.txt").write_text(REFUND_TXT)
    (folder / "privacy.pdf").write_bytes(
        make_pdf(
            [
                "We keep your contact details only to arrange your consultation.",
                "Your data is never sold and is deleted after twelve months.",
            ],
            title="Privacy notice",
        )
    )
    (folder / ".hidden.md").write_text("# Hidden\n\nDraft text that must not be ingested.")
    (folder / "logo.png").write_bytes(b"\x89PNG not really")
    return folder
