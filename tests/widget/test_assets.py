"""The widget blueprint: names by content hash, caching, compression, CORS, size budgets."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from flask import Flask

from frontdesk import widget_assets
from tests.support.apps import app_config
from tests.support.widget_hosts import widget_only_app

WIDGET_DIR = Path(__file__).resolve().parents[2] / "widget"
LOADER_BUDGET = 4 * 1024
TOTAL_BUDGET = 25 * 1024


@pytest.fixture(scope="module")
def widget_client():
    """A test client of the widget blueprint alone (shared by the module: nothing changes it)."""
    return widget_only_app().test_client()


def panel_names(loader: str) -> tuple[str, str]:
    js = re.search(r"panel\.[0-9a-f]{12}\.js", loader).group(0)
    css = re.search(r"panel\.[0-9a-f]{12}\.css", loader).group(0)
    return js, css


def test_loader_names_the_panel_files_by_content_hash(widget_client):
    loader = widget_client.get("/widget.js").get_data(as_text=True)
    js, css = panel_names(loader)
    assert "__PANEL_" not in loader
    panel_js = widget_assets.assemble_panel(WIDGET_DIR)
    assert js == f"panel.{hashlib.sha256(panel_js).hexdigest()[:12]}.js"
    sri = "sha384-" + base64.b64encode(hashlib.sha384(panel_js).digest()).decode()
    assert sri in loader
    assert widget_client.get(f"/widget/{js}").data == panel_js
    assert widget_client.get(f"/widget/{css}").data == (WIDGET_DIR / "panel.css").read_bytes()


def test_the_panel_script_is_panel_js_with_its_parts_in_place(widget_client):
    served = widget_client.get(
        f"/widget/{panel_names(widget_client.get('/widget.js').text)[0]}"
    ).data
    frame = (WIDGET_DIR / "panel.js").read_bytes()
    parts = widget_assets.panel_parts(WIDGET_DIR)
    # Every part file of the folder is named once, client before UI, the UI's blocks before it.
    assert sorted(parts) == sorted(path.name for path in WIDGET_DIR.glob("panel-*.js"))
    assert parts.index("panel-client.js") < parts.index("panel-ui.js")
    assert parts.index("panel-ui-nodes.js") < parts.index("panel-ui-layout.js")
    expected = frame
    for name in parts:
        marker = f"/* part: {name} */".encode()
        assert frame.count(marker) == 1
        expected = expected.replace(marker, (WIDGET_DIR / name).read_bytes())
    strings = b"var TEXTS = " + widget_assets.panel_strings(WIDGET_DIR) + b";"
    assert served == expected.replace(b"/* strings */", strings)
    assert b"/* part: " not in served


def test_the_panel_carries_every_languages_words_and_english_has_them_all():
    tables = json.loads(widget_assets.panel_strings(WIDGET_DIR))
    assert {"en", "fr", "de", "es", "nl", "pt", "it"} <= set(tables)
    # Reviewed languages are complete: a missing word would show up in English.
    for code, table in tables.items():
        assert set(table) == set(tables["en"]), code
        assert all(value.strip() for value in table.values()), code
    assert tables["fr"]["send"] == "Envoyer"
    assert "{title}" in tables["de"]["panelLabel"]


def test_a_language_file_with_a_word_english_lacks_stops_the_build(tmp_path):
    (tmp_path / "strings").mkdir()
    (tmp_path / "strings" / "en.json").write_text('{"send": "Send"}')
    (tmp_path / "strings" / "fr.json").write_text('{"send": "Envoyer", "sned": "typo"}')
    with pytest.raises(ValueError, match="fr.json"):
        widget_assets.panel_strings(tmp_path)
    (tmp_path / "strings" / "fr.json").write_text('{"send": "Envoyer"}')
    assert json.loads(widget_assets.panel_strings(tmp_path))["fr"] == {"send": "Envoyer"}


def test_parts_are_put_in_place_in_the_order_panel_js_names_them(tmp_path):
    (tmp_path / "panel.js").write_text(
        "(A /* part: two.js */ B /* part: one-1.js */ /* strings */)"
    )
    (tmp_path / "strings").mkdir()
    (tmp_path / "strings" / "en.json").write_text('{"send": "Send"}')
    (tmp_path / "one-1.js").write_text("var one;")
    (tmp_path / "two.js").write_text("var two;")
    (tmp_path / "panel.css").write_text(".x{}")
    (tmp_path / "widget.js").write_text('"__PANEL_JS__ __PANEL_CSS__ __PANEL_SRI__"')
    assert widget_assets.panel_parts(tmp_path) == ["two.js", "one-1.js"]
    app = Flask("parts")
    widget_assets.init_app(app, tmp_path)
    name = panel_names(app.test_client().get("/widget.js").text)[0]
    served = app.test_client().get(f"/widget/{name}").text
    assert served == '(A var two; B var one; var TEXTS = {"en":{"send":"Send"}};)'


def test_a_part_missing_from_the_folder_is_refused_at_startup(tmp_path):
    shutil.copytree(WIDGET_DIR, tmp_path, dirs_exist_ok=True)
    (tmp_path / "panel-ui.js").unlink()
    with pytest.raises(FileNotFoundError, match="panel-ui.js"):
        widget_assets.init_app(Flask("broken"), tmp_path)


def test_cache_headers_short_for_loader_immutable_for_hashed_files(widget_client):
    loader = widget_client.get("/widget.js")
    assert loader.status_code == 200
    assert loader.headers["Cache-Control"] == "public, max-age=300"
    assert loader.mimetype == "text/javascript"
    js, css = panel_names(loader.get_data(as_text=True))
    for name, mimetype in ((js, "text/javascript"), (css, "text/css")):
        response = widget_client.get(f"/widget/{name}")
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.mimetype == mimetype


def test_cross_origin_headers_on_every_widget_file(widget_client):
    loader = widget_client.get("/widget.js")
    for response in (
        loader,
        *(widget_client.get(f"/widget/{n}") for n in panel_names(loader.text)),
    ):
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Vary"] == "Accept-Encoding"


def test_gzip_when_accepted_identity_otherwise(widget_client):
    plain = widget_client.get("/widget.js")
    assert "Content-Encoding" not in plain.headers
    zipped = widget_client.get("/widget.js", headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    refused = widget_client.get("/widget.js", headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers
    assert zipped.headers["ETag"] != plain.headers["ETag"]


@pytest.mark.skipif(widget_assets.brotli is None, reason="optional brotli package not installed")
def test_brotli_preferred_when_installed_and_accepted(widget_client):
    response = widget_client.get("/widget.js", headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["Content-Encoding"] == "br"
    assert widget_assets.brotli.decompress(response.data) == widget_client.get("/widget.js").data


def test_etag_revalidation_answers_304_without_a_body(widget_client):
    first = widget_client.get("/widget.js", headers={"Accept-Encoding": "gzip"})
    again = widget_client.get(
        "/widget.js", headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["Cache-Control"] == "public, max-age=300"
    stale = widget_client.get("/widget.js", headers={"If-None-Match": '"not-the-etag"'})
    assert stale.status_code == 200


def test_unknown_or_malformed_panel_names_are_404(widget_client):
    for path in (
        "/widget/panel.000000000000.js",
        "/widget/panel.js.css",
        "/widget/panel..js",
        "/widget/panel.%2e%2e.js",
    ):
        assert widget_client.get(path).status_code == 404, path


def test_size_budgets_gzipped(widget_client):
    loader = widget_client.get("/widget.js", headers={"Accept-Encoding": "gzip"})
    js, css = panel_names(gzip.decompress(loader.data).decode())
    total = len(loader.data)
    for name in (js, css):
        total += len(widget_client.get(f"/widget/{name}", headers={"Accept-Encoding": "gzip"}).data)
    assert len(loader.data) <= LOADER_BUDGET
    assert total <= TOTAL_BUDGET


def test_a_loader_without_placeholders_is_refused_at_startup(tmp_path):
    shutil.copytree(WIDGET_DIR, tmp_path, dirs_exist_ok=True)
    (tmp_path / "widget.js").write_text("console.log('no placeholders');")
    with pytest.raises(ValueError, match="__PANEL_JS__"):
        widget_assets.init_app(Flask("broken"), tmp_path)


def test_assets_are_rebuilt_from_the_folder_given(tmp_path):
    (tmp_path / "panel.js").write_text("/* v2 */")
    (tmp_path / "panel.css").write_text(".x{}")
    (tmp_path / "widget.js").write_text('"__PANEL_JS__ __PANEL_CSS__ __PANEL_SRI__"')
    app = Flask("custom")
    widget_assets.init_app(app, tmp_path)
    body = app.test_client().get("/widget.js").text
    digest = hashlib.sha256(b"/* v2 */").hexdigest()[:12]
    assert f"panel.{digest}.js" in body
    assert app.test_client().get(f"/widget/panel.{digest}.js").text == "/* v2 */"


def test_weak_and_star_validators_also_revalidate(widget_client):
    etag = widget_client.get("/widget.js").headers["ETag"]
    for header in (f"W/{etag}", "*", f'"other", {etag}'):
        assert widget_client.get("/widget.js", headers={"If-None-Match": header}).status_code == 304


def test_full_app_serves_hashed_files_through_this_blueprint(sqlite_url, tmp_path):
    from frontdesk import create_app

    app = create_app(app_config(sqlite_url, tmp_path))
    client = app.test_client()
    js, css = panel_names(client.get("/widget.js").text)
    for name in (js, css):
        response = client.get(f"/widget/{name}")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # Only the hashed names exist: no second, unversioned copy of the source files.
    for raw in (
        "/widget/panel.js",
        "/widget/panel.css",
        "/widget/widget.js",
        "/widget/panel-ui.js",
    ):
        assert client.get(raw).status_code == 404, raw
    app.extensions["frontdesk.db"].dispose()
