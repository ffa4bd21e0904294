"""Each role's `/stats` in a real browser (headless chromium driven by Playwright) against a
whole network in this process: the page renders without console errors, its tables are
there, it goes live (`/stats/live`) and a chat completion sent meanwhile shows up in its
counters without a reload; a page of another origin cannot open the live channel; without
JavaScript the tables are there and the page reloads itself, as it does when its live
channel is refused. Saves a screenshot of each page to build/screenshots/ (`nox -s browser`).

Skipped where Playwright or chromium is missing (Debian: `apt install chromium`;
Playwright: the `browser` extra). Playwright's sync API drives the browser from one worker
thread (`trio.to_thread`); the network runs in trio, reached with `trio.from_thread`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import trio

from cocoon.network import NetworkConfig, free_port, open_network
from cocoon.roles.common.live import LiveLimits, add_live_route, live_link
from cocoon.roles.common.pages import Page, Section
from cocoon.roles.common.web import serve_web
from cocoon.roles.common.webapp import html_response, new_app
from cocoon.roles.common.webguard import WebAccess

# `nox -s browser` sets this: there a missing browser or library is a failure, not a skip.
REQUIRED = os.environ.get("COCOON_BROWSER_REQUIRED") == "1"
CHROMIUM = (
    os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)

if REQUIRED:
    from playwright import sync_api

    assert CHROMIUM, "no chromium on PATH (Debian: apt install chromium) and no $CHROMIUM"
else:
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs Playwright (browser extra)")

pytestmark = pytest.mark.e2e
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
MODEL = "Qwen/Qwen3-8B"
BODY = {"model": MODEL, "messages": [{"role": "user", "content": "x y"}], "max_tokens": 3}
WAIT_MS = 20_000  # the browser's own time: a live event comes about once a second

# The `total` cell of the `queries` row of the page's Stats table.
QUERIES_TOTAL = """() => {
  const row = [...document.querySelectorAll('section[data-key="stats"] tr')]
    .find((r) => r.cells[0] && r.cells[0].textContent.trim() === "queries");
  return row ? row.cells[1].textContent.trim() : null;
}"""


def browse(roles: list[tuple[str, str]], send_completion: Any, foreign_url: str) -> dict[str, Any]:
    """In a worker thread: open each role's page, check it, screenshot it. Returns what was
    seen, for the test to assert on."""
    seen: dict[str, Any] = {}
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            for role, url in roles:
                page = context.new_page()
                errors: list[str] = []
                page.on(
                    "console",
                    lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None,
                )
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.on(
                    "response",
                    lambda r, errors=errors: (
                        errors.append(f"{r.status} {r.url}") if r.status >= 400 else None
                    ),
                )
                page.goto(url, wait_until="load")
                # Live: the first event (the whole page) has arrived.
                page.wait_for_function(
                    "() => Number(document.body.dataset.updates || 0) >= 1", timeout=WAIT_MS
                )
                page.evaluate("() => { window.notReloaded = true; }")
                before = page.evaluate(QUERIES_TOTAL)
                trio.from_thread.run(send_completion)
                page.wait_for_function(
                    f"(before) => ({QUERIES_TOTAL})() !== before", arg=before, timeout=WAIT_MS
                )
                after = page.evaluate(QUERIES_TOTAL)
                page.wait_for_timeout(1600)  # let the cells' flash fade before the screenshot
                page.screenshot(path=str(SHOTS / f"{role}-stats.png"), full_page=True)
                seen[role] = {
                    "title": page.title(),
                    "tables": page.locator("main section table").count(),
                    "sections": page.locator("main section h2").all_inner_texts(),
                    "live": page.locator("#live").inner_text(),
                    "not_reloaded": page.evaluate("() => window.notReloaded === true"),
                    "queries": (before, after),
                    "errors": errors,
                }
                page.close()
            # Another origin's page: its EventSource to a role's live channel is refused.
            page = context.new_page()
            page.goto(foreign_url)
            live = roles[0][1].replace("/stats?", "/stats/live?")
            seen["foreign"] = page.evaluate(
                """(url) => new Promise((done) => {
                     const s = new EventSource(url);
                     s.onmessage = () => { s.close(); done("message"); };
                     s.onerror = () => { const state = s.readyState; s.close(); done("error " + state); };
                   })""",
                live,
            )
            page.close()
            # On a phone's width the sections stack (a screenshot to look at).
            narrow = browser.new_context(viewport={"width": 400, "height": 800})
            page = narrow.new_page()
            page.goto(roles[0][1])
            page.screenshot(path=str(SHOTS / f"{roles[0][0]}-stats-narrow.png"), full_page=True)
            seen["narrow_overflow"] = page.evaluate(
                "() => document.documentElement.scrollWidth - window.innerWidth"
            )
            narrow.close()
            # Without JavaScript the page is the same tables, reloading itself.
            plain = browser.new_context(
                java_script_enabled=False, viewport={"width": 1280, "height": 900}
            )
            page = plain.new_page()
            page.goto(roles[0][1])
            seen["no_js"] = {
                "tables": page.locator("main section table").count(),
                "refresh": page.locator("noscript").count(),
            }
            page.screenshot(path=str(SHOTS / f"{roles[0][0]}-stats-nojs.png"), full_page=True)
            plain.close()
        finally:
            browser.close()
    return seen


async def foreign_site(port: int, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
    """A page of another origin (another port), to run a cross-origin EventSource from."""
    body = b"<!DOCTYPE html><html><body>elsewhere</body></html>"
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()

    async def answer(stream: trio.SocketStream) -> None:
        await stream.receive_some(65536)
        await stream.send_all(head + body)
        await stream.aclose()

    await trio.serve_tcp(answer, port, host="127.0.0.1", task_status=task_status)


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (Debian: apt install chromium)")
async def test_dashboards_render_and_update_live():
    async with open_network(NetworkConfig()) as net:
        await net.wait_ready()
        webs = [
            ("client", net.clients[0].web),
            ("proxy", net.proxies[0].web),
            ("worker", net.workers[0].web),
        ]
        roles = [(r, f"{w.url}/stats?{urlencode({'access_hash': w.access_hash})}") for r, w in webs]
        async with httpx.AsyncClient(base_url=net.client_url, timeout=30) as http:

            async def send_completion() -> None:
                r = await http.post("/v1/chat/completions", json=BODY)
                assert r.status_code == 200, r.text

            port = free_port()
            async with trio.open_nursery() as nursery:
                await nursery.start(foreign_site, port)
                seen = await trio.to_thread.run_sync(
                    browse, roles, send_completion, f"http://127.0.0.1:{port}/"
                )
                nursery.cancel_scope.cancel()
        for role, _ in roles:
            page = seen[role]
            assert page["errors"] == [], (role, page["errors"])
            assert page["title"] == f"cocoon {role}"
            assert page["tables"] >= 3 and "STATS" in page["sections"], (role, page)
            assert page["live"] == "live"
            assert page["not_reloaded"], role
            before, after = page["queries"]
            assert int(after) > int(before), (role, page["queries"])
            assert (SHOTS / f"{role}-stats.png").stat().st_size > 0
        assert seen["foreign"].startswith("error"), seen["foreign"]
        assert seen["narrow_overflow"] <= 0, seen["narrow_overflow"]  # no sideways scrolling
        assert seen["no_js"]["tables"] >= 3 and seen["no_js"]["refresh"] == 1


def reloads_when_refused(url: str) -> dict[str, Any]:
    """In a worker thread: a page whose live channel is refused shows it, and reloads."""
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(url)
            page.evaluate("() => { window.notReloaded = true; }")
            page.wait_for_function(
                "() => document.getElementById('live').textContent.startsWith('reloading')",
                timeout=WAIT_MS,
            )
            label = page.locator("#live").inner_text()
            page.wait_for_function("() => window.notReloaded !== true", timeout=WAIT_MS)
            return {"label": label, "tables": page.locator("main section table").count()}
        finally:
            browser.close()


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (Debian: apt install chromium)")
async def test_page_reloads_when_its_live_channel_is_refused():
    token = "t0ken"
    app = new_app("board", WebAccess.create(token, bind_host="127.0.0.1"))

    async def snapshot() -> Page:
        return Page("board", "", [Section("Status", {"served": 1})])

    @app.route("/stats")
    async def stats() -> Any:
        return html_response((await snapshot()).render(live=live_link(token), refresh=1))

    add_live_route(app, snapshot, LiveLimits(max_connections=0))  # every live page refused
    async with trio.open_nursery() as nursery:
        web = await nursery.start(serve_web, app, "127.0.0.1", 0)
        seen = await trio.to_thread.run_sync(
            reloads_when_refused, f"{web.url}/stats?access_hash={token}"
        )
        nursery.cancel_scope.cancel()
    assert seen == {"label": "reloading every 1 s", "tables": 1}
