"""Widget figures: gzipped sizes against the budgets, and the loader's main-thread cost.

Run from the repository root:  .venv/bin/python bench/widget.py [--runs 10] [--screenshots DIR]

Main-thread time comes from Chromium's own counters (CDP Performance.getMetrics: ScriptDuration
and TaskDuration), measured on a blank page with the widget tag minus the same blank page
without it, median over several fresh page loads. Nothing here asserts: it prints figures.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "server"), str(REPO)]

from flask import Flask  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from frontdesk import widget_assets  # noqa: E402
from frontdesk.assets import asset_dir  # noqa: E402

LOADER_BUDGET = 4 * 1024
TOTAL_BUDGET = 25 * 1024
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
BLANK = "<!doctype html><html lang=en><title>blank</title><body><p>blank</p>{tag}</body></html>"


def print_sizes() -> None:
    """Gzipped (and brotli, when available) sizes of each file and of the whole widget."""
    folder = asset_dir("widget")
    bundle = widget_assets.build_bundle(folder)
    files = [
        ("loader widget.js", bundle.loader),
        (f"panel {bundle.panel_js}", bundle.hashed[bundle.panel_js]),
        (f"panel {bundle.panel_css}", bundle.hashed[bundle.panel_css]),
    ]
    print("Sizes (bytes)              raw     gzip   brotli")
    for name, asset in files:
        br = asset.encoded.get("br")
        print(f"  {name:<24}{len(asset.body):>6}   {len(asset.encoded['gzip']):>6}   "
              f"{len(br) if br else '-':>6}")  # fmt: skip
    parts = ["panel.js", *widget_assets.panel_parts(folder)]
    sizes = ", ".join(f"{name} {(folder / name).stat().st_size}" for name in parts)
    print(f"  the panel script is, in order (raw bytes): {sizes}")
    loader_gz = len(gzip.compress(bundle.loader.body, 9))
    total_gz = sum(len(asset.encoded["gzip"]) for _, asset in files)
    print(f"Loader gzipped: {loader_gz} B of {LOADER_BUDGET} B budget "
          f"({'OK' if loader_gz <= LOADER_BUDGET else 'OVER'})")  # fmt: skip
    print(f"Loader + panel + CSS gzipped: {total_gz} B of {TOTAL_BUDGET} B budget "
          f"({'OK' if total_gz <= TOTAL_BUDGET else 'OVER'})")  # fmt: skip


class Servers:
    """The widget files on one origin and a blank host page on another."""

    def __init__(self) -> None:
        app = Flask("bench", static_folder=None)
        widget_assets.init_app(app)
        self.widget = make_server("127.0.0.1", 0, app, threaded=True)
        self.widget_url = f"http://127.0.0.1:{self.widget.server_port}"
        tag = f'<script src="{self.widget_url}/widget.js" data-site="pk_bench" async></script>'
        pages = {"/blank": BLANK.format(tag=""), "/widget": BLANK.format(tag=tag)}

        class Page(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                body = pages.get(self.path, "").encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.host = ThreadingHTTPServer(("127.0.0.1", 0), Page)
        self.host_url = f"http://127.0.0.1:{self.host.server_port}"
        for server in (self.widget, self.host):
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        for server in (self.widget, self.host):
            server.shutdown()


LAUNCHER_READY = (
    "!document.querySelector('script[src]') || "
    "document.querySelector('frontdesk-widget')?.shadowRoot.querySelector('.fd-launcher')"
)


def main_thread_ms(browser, url: str) -> tuple[float, float]:
    """ScriptDuration and TaskDuration (ms) for one fresh load of `url`."""
    context = browser.new_context()
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    page.goto(url, wait_until="load")
    page.wait_for_function(LAUNCHER_READY)  # same polling on both pages, so it cancels out
    page.wait_for_timeout(100)
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    context.close()
    return metrics["ScriptDuration"] * 1000, metrics["TaskDuration"] * 1000


def loader_evaluation_ms(browser, url: str) -> float:
    """Main-thread time of widget.js itself: its EvaluateScript slices in a Chromium trace."""
    context = browser.new_context()
    page = context.new_page()
    browser.start_tracing(page=page, categories=["devtools.timeline"])
    page.goto(url, wait_until="load")
    page.wait_for_function(LAUNCHER_READY)
    trace = json.loads(browser.stop_tracing())
    context.close()
    total = 0.0
    for event in trace.get("traceEvents", []):
        data = (event.get("args") or {}).get("data") or {}
        is_slice = event.get("ph") == "X" and event.get("name") == "EvaluateScript"
        if is_slice and str(data.get("url", "")).endswith("/widget.js"):
            total += event.get("dur", 0) / 1000
    return total


def open_ms(browser, url: str) -> float:
    """Milliseconds from clicking the launcher to state=open (panel fetched and mounted)."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(url, wait_until="load")
    launcher = page.locator("frontdesk-widget .fd-launcher")
    launcher.wait_for()
    elapsed = page.evaluate(
        """() => new Promise(resolve => {
             const host = document.querySelector('frontdesk-widget');
             const start = performance.now();
             new MutationObserver(() => {
               if (host.getAttribute('state') === 'open') resolve(performance.now() - start);
             }).observe(host, {attributes: true});
             host.shadowRoot.querySelector('.fd-launcher').click();
           })"""
    )
    context.close()
    return elapsed


def print_timings(runs: int) -> None:
    """Median main-thread cost of the loader and time to open the panel."""
    from playwright.sync_api import sync_playwright

    servers = Servers()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            widget_page = f"{servers.host_url}/widget"
            main_thread_ms(browser, widget_page)  # warm up
            blank = [main_thread_ms(browser, f"{servers.host_url}/blank") for _ in range(runs)]
            with_widget = [main_thread_ms(browser, widget_page) for _ in range(runs)]
            evaluation = [loader_evaluation_ms(browser, widget_page) for _ in range(runs)]
            opens = [open_ms(browser, f"{servers.host_url}/widget") for _ in range(runs)]
            browser.close()
    finally:
        servers.stop()
    script = statistics.median(w[0] for w in with_widget) - statistics.median(b[0] for b in blank)
    task = statistics.median(w[1] for w in with_widget) - statistics.median(b[1] for b in blank)
    print(f"Main thread on a blank page, median of {runs} loads (with widget minus without):")
    print(f"  ScriptDuration +{script:.1f} ms   TaskDuration +{task:.1f} ms")
    print(f"widget.js EvaluateScript (compile + run, from a trace), median: "
          f"{statistics.median(evaluation):.2f} ms")  # fmt: skip
    print(f"Launcher click to open panel (first open: fetch panel JS+CSS, mount), median: "
          f"{statistics.median(opens):.0f} ms")  # fmt: skip


def main() -> None:
    """Print sizes and timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--sizes-only", action="store_true")
    args = parser.parse_args()
    print_sizes()
    if not args.sizes_only:
        print_timings(max(1, args.runs))


if __name__ == "__main__":
    main()
