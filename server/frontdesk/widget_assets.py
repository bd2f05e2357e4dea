"""Serves the widget: /widget.js (short cache) and its content-hashed panel files (immutable).

Everything is read, assembled, hashed and precompressed once at startup, so a request only
picks an encoding and writes bytes. The panel script is written as parts (client, UI) that
panel.js includes by name, so the browser still fetches one file. Brotli is used when the
optional `brotli` package is installed.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, Response, abort, current_app, request

from frontdesk.assets import asset_dir

EXTENSION_KEY = "frontdesk.widget_assets"
LOADER_MAX_AGE = 300  # the loader's URL never changes, so keep it short
HASHED_MAX_AGE = 31_536_000  # one year: a new file gets a new name
CONTENT_TYPES = {"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8"}
# In panel.js, `/* part: panel-client.js */` stands for that file of the same folder.
PART_MARKER = re.compile(rb"/\* part: ([a-z0-9-]+\.js) \*/")
# ...and `/* strings */` for `var TEXTS = {"en": {...}, "fr": {...}};`, the panel's words in
# every language of strings/ (one reviewable JSON file each); the panel picks the visitor's.
STRINGS_MARKER = b"/* strings */"

try:  # optional dependency
    import brotli  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None


@dataclass(frozen=True)
class Asset:
    """One servable file: its identity bytes plus the precompressed variants."""

    body: bytes
    content_type: str
    etag: str
    cache_control: str
    encoded: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def build(cls, body: bytes, content_type: str, cache_control: str) -> Asset:
        """Hash and precompress `body`."""
        digest = hashlib.sha256(body).hexdigest()[:20]
        return cls(body, content_type, digest, cache_control, dict(precompressed(body)))


@functools.lru_cache(maxsize=8)
def precompressed(body: bytes) -> tuple[tuple[str, bytes], ...]:
    """`body` as gzip and (with `brotli`) brotli at their best levels. Cached by content: the
    same bytes compress the same, and brotli's level 11 costs about 0.1 s per file, which a
    process that builds several apps (each test of the suite builds one) should pay once."""
    encoded = [("gzip", gzip.compress(body, compresslevel=9, mtime=0))]
    if brotli is not None:
        encoded.append(("br", brotli.compress(body, quality=11)))
    return tuple(encoded)


@dataclass(frozen=True)
class WidgetBundle:
    """The loader and the panel files it points at, keyed by served name."""

    loader: Asset
    hashed: dict[str, Asset]
    panel_js: str
    panel_css: str


def short_hash(data: bytes) -> str:
    """The content hash used in file names (12 hex digits of SHA-256)."""
    return hashlib.sha256(data).hexdigest()[:12]


def subresource_integrity(data: bytes) -> str:
    """An SRI value (sha384) the loader puts on the panel script tag."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


def panel_parts(folder: Path) -> list[str]:
    """The files panel.js includes, in the order they land in the served script."""
    return [
        name.decode("ascii") for name in PART_MARKER.findall((folder / "panel.js").read_bytes())
    ]


def assemble_panel(folder: Path) -> bytes:
    """panel.js with each `/* part: NAME.js */` marker replaced by that file's bytes, and the
    `/* strings */` marker by the words of every language."""
    script = PART_MARKER.sub(
        lambda marker: (folder / marker.group(1).decode("ascii")).read_bytes(),
        (folder / "panel.js").read_bytes(),
    )
    if STRINGS_MARKER not in script:
        return script
    return script.replace(STRINGS_MARKER, b"var TEXTS = " + panel_strings(folder) + b";")


def panel_strings(folder: Path) -> bytes:
    """The panel's words, {"en": {...}, "fr": {...}}, from strings/*.json; each language must
    name only words English has (English is what a missing word falls back to)."""
    tables = {
        path.stem: json.loads(path.read_text("utf-8")) for path in folder.glob("strings/*.json")
    }
    english = tables.get("en")
    if not english:
        raise ValueError("widget/strings/en.json is missing")
    for code, table in tables.items():
        if not set(table) <= set(english) or not all(isinstance(v, str) for v in table.values()):
            raise ValueError(f"widget/strings/{code}.json: unknown names or non-text values")
    return json.dumps(tables, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def build_bundle(folder: Path) -> WidgetBundle:
    """Read widget.js, the panel script and panel.css from `folder`; name the panel files by hash."""
    panel_js = assemble_panel(folder)
    panel_css = (folder / "panel.css").read_bytes()
    js_name = f"panel.{short_hash(panel_js)}.js"
    css_name = f"panel.{short_hash(panel_css)}.css"
    loader = (folder / "widget.js").read_text("utf-8")
    for placeholder, value in (
        ("__PANEL_JS__", js_name),
        ("__PANEL_CSS__", css_name),
        ("__PANEL_SRI__", subresource_integrity(panel_js)),
    ):
        if placeholder not in loader:
            raise ValueError(f"widget.js lacks the {placeholder} placeholder")
        loader = loader.replace(placeholder, value)
    immutable = f"public, max-age={HASHED_MAX_AGE}, immutable"
    return WidgetBundle(
        loader=Asset.build(
            loader.encode("utf-8"), CONTENT_TYPES["js"], f"public, max-age={LOADER_MAX_AGE}"
        ),
        hashed={
            js_name: Asset.build(panel_js, CONTENT_TYPES["js"], immutable),
            css_name: Asset.build(panel_css, CONTENT_TYPES["css"], immutable),
        },
        panel_js=js_name,
        panel_css=css_name,
    )


def choose_encoding(asset: Asset) -> str | None:
    """The best encoding the client accepts (q > 0) among those precompressed, or None."""
    accepted = request.accept_encodings
    for name in ("br", "gzip"):
        if name in asset.encoded and accepted[name] > 0:
            return name
    return None


def asset_response(asset: Asset) -> Response:
    """Send `asset` with caching, validation, compression and cross-origin headers."""
    encoding = choose_encoding(asset)
    etag = f"{asset.etag}-{encoding}" if encoding else asset.etag
    response = Response(status=200, content_type=asset.content_type)
    response.headers["Cache-Control"] = asset.cache_control
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.set_etag(etag)
    if request.if_none_match.contains_weak(etag):  # proxies may weaken our ETag
        response.status_code = 304
        return response
    body = asset.encoded[encoding] if encoding else asset.body
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.set_data(body)
    return response


def _bundle() -> WidgetBundle:
    return current_app.extensions[EXTENSION_KEY]


def serve_loader() -> Response:
    """GET /widget.js: the tiny loader every host page embeds."""
    return asset_response(_bundle().loader)


def serve_panel_file(digest: str, kind: str) -> Response:
    """GET /widget/panel.<hash>.(js|css): a file the loader fetches when the panel opens."""
    asset = _bundle().hashed.get(f"panel.{digest}.{kind}")
    if asset is None:
        abort(404)
    return asset_response(asset)


def init_app(app: Flask, folder: Path | None = None) -> None:
    """Build the bundle now (fail fast on a broken checkout) and add the two routes."""
    app.extensions[EXTENSION_KEY] = build_bundle(folder or asset_dir("widget"))
    app.add_url_rule("/widget.js", "widget_loader", serve_loader, methods=["GET"])
    app.add_url_rule(
        "/widget/panel.<string:digest>.<any(js,css):kind>",
        "widget_panel_file",
        serve_panel_file,
        methods=["GET"],
    )
