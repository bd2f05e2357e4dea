"""Inline SVG charts for the Training pages: the loss curve and the two-run comparison."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from frontdesk.staff.charts import Series, bar_chart

WIDTH, HEIGHT, PAD = 720, 240, 40


def comparison_chart(kinds: Sequence[str], first: Sequence[float], second: Sequence[float],
                     names: tuple[str, str]) -> Markup:  # fmt: skip
    """Pass rate (percent) per check kind, the two runs side by side."""
    return bar_chart(
        "compare", "Pass rate per check kind",
        f"Percentage of checks passed, {names[0]} against {names[1]}.", list(kinds),
        [Series(names[0], list(first), "bar bar--first"),
         Series(names[1], list(second), "bar bar--second")],
    )  # fmt: skip


def loss_chart(points: Sequence[tuple[int, float, float | None]]) -> Markup:
    """Training (and validation) loss by step, as lines; empty until the first metrics."""
    if not points:
        return Markup("")
    steps = [p[0] for p in points]
    top = max(max(p[1] for p in points), max((p[2] or 0) for p in points)) or 1.0
    last = max(steps[-1], 1)

    def xy(step: int, value: float) -> str:
        x = PAD + (WIDTH - PAD - 8) * (step / last)
        y = 10 + (HEIGHT - PAD - 10) * (1 - value / top)
        return f"{x:.1f},{y:.1f}"

    train = " ".join(xy(s, t) for s, t, _ in points)
    valid = " ".join(xy(s, v) for s, _, v in points if v is not None)
    parts = [
        f'<svg class="chart" id="loss-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        'aria-labelledby="loss-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="loss-title">Loss by training step (last: step {steps[-1]}, '
        f"{points[-1][1]:.3f})</title>",
        f'<line class="chart__grid" x1="{PAD}" x2="{WIDTH - 8}" y1="{HEIGHT - PAD}" '
        f'y2="{HEIGHT - PAD}"/>',
        f'<text class="chart__axis" x="{PAD - 6}" y="16" text-anchor="end">{top:.2f}</text>',
        f'<text class="chart__axis" x="{PAD - 6}" y="{HEIGHT - PAD}" text-anchor="end">0</text>',
        f'<text class="chart__axis" x="{WIDTH - 8}" y="{HEIGHT - PAD + 16}" text-anchor="end">'
        f"step {escape(str(last))}</text>",
        f'<polyline class="line line--train" fill="none" points="{train}"/>',
    ]
    if valid:
        parts.append(f'<polyline class="line line--valid" fill="none" points="{valid}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
