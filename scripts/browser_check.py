#!/usr/bin/env python3
"""The client's dashboard and its guard in a real browser (headless chromium, over the
DevTools protocol), against a whole network in this process.

    .venv/bin/python scripts/browser_check.py      # needs `chromium` (Debian: apt install chromium)

Checks, as a browser does them:

* the /stats buttons work: a click POSTs the form (access hash and CSRF token) and the
  answer's link leads back to the dashboard;
* a page from another origin (served here on another port) gets nowhere: a text/plain
  `fetch` to /v1/chat/completions, a `fetch` of /jsonstats (even with the token), an `<img>`
  GET of /request/close and a POST of the dashboard's own form fields are all refused, and
  the client served no request and its channel did not move.

Exits 1 when a check fails, 2 without chromium. A tool, not a test: the browser's own
timing is waited for by polling.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from typing import Any
from urllib.parse import urlencode

import httpx
import trio
from trio_websocket import open_websocket_url

from cocoon.network import NetworkConfig, free_port, open_network

MODEL = "Qwen/Qwen3-8B"


class Page:
    """One browser tab over the DevTools protocol."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.next_id = 0

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        me = self.next_id
        await self.ws.send_message(json.dumps({"id": me, "method": method, "params": params}))
        while True:
            message = json.loads(await self.ws.get_message())
            if message.get("id") == me:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    async def js(self, expression: str) -> Any:
        result = await self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        return result["result"].get("value")

    async def loaded(self) -> None:
        """Wait for a navigation a click or submit started (polling: the browser's time)."""
        await trio.sleep(0.3)
        with trio.fail_after(20):
            while await self.js("document.readyState") != "complete":  # noqa: ASYNC110 - the browser's state
                await trio.sleep(0.1)

    async def goto(self, url: str) -> None:
        await self.call("Page.navigate", url=url)
        await self.loaded()

    async def text(self) -> str:
        return await self.js("document.body.innerText")


async def foreign_site(
    port: int, target: str, fields: dict[str, str], *, task_status: Any = trio.TASK_STATUS_IGNORED
) -> None:
    """Another origin's page: the dashboard's form fields (as if leaked) in a form aimed at
    the client, and an image that GETs a control."""
    inputs = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in fields.items())
    body = (
        "<!DOCTYPE html><html><body>"
        f'<form id="f" method="post" action="{target}/request/topup?proxy=x">{inputs}</form>'
        f'<img src="{target}/request/close?proxy=x"></body></html>'
    ).encode()
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()

    async def answer(stream: trio.SocketStream) -> None:
        await stream.receive_some(65536)
        await stream.send_all(head + body)
        await stream.aclose()

    await trio.serve_tcp(answer, port, host="127.0.0.1", task_status=task_status)


async def check(browser_port: int) -> list[str]:
    failures: list[str] = []

    def expect(ok: bool, what: str, seen: Any) -> None:
        print(f"{'ok  ' if ok else 'FAIL'} {what}: {seen!r}"[:200])
        if not ok:
            failures.append(what)

    async with open_network(NetworkConfig()) as net:
        await net.wait_ready()
        client = net.clients[0]
        web = client.web
        token = {"access_hash": web.access_hash}
        async with httpx.AsyncClient() as http:
            with trio.fail_after(30):
                while True:
                    try:
                        targets = (
                            await http.get(f"http://127.0.0.1:{browser_port}/json/list")
                        ).json()
                        break
                    except httpx.HTTPError:
                        await trio.sleep(0.2)
            page_html = (await http.get(f"{web.url}/stats", params=token)).text
        inner = re.search(r'<form method="post" action="[^"]+">(.*?)</form>', page_html)
        fields = dict(
            re.findall(r'name="([^"]+)" value="([^"]*)"', inner.group(1) if inner else "")
        )
        tab = next(t for t in targets if t["type"] == "page")
        async with open_websocket_url(tab["webSocketDebuggerUrl"], max_message_size=1 << 24) as ws:
            page = Page(ws)
            await page.call("Page.enable")
            await page.goto(f"{web.url}/stats?{urlencode(token)}")
            forms = await page.js("document.forms.length")
            expect(forms == 4, "the dashboard has its 4 channel buttons", forms)
            await page.js(
                "[...document.forms].find(f => f.action.includes('/request/withdraw'))"
                ".querySelector('button').click()"
            )
            await page.loaded()
            text = await page.text()
            expect("nothing to withdraw" in text, "the withdraw button works", text)
            await page.js("document.querySelector('a').click()")
            await page.loaded()
            title = await page.js("document.title")
            expect(title == "cocoon client", "its link leads back to the dashboard", title)

            (channel,) = client.node.channels.values()
            balance = channel.storage.balance if channel.storage else None
            queries = client.node.stats["queries"].total
            port = free_port()
            async with trio.open_nursery() as nursery:
                await nursery.start(foreign_site, port, web.url, fields)
                await page.goto(f"http://127.0.0.1:{port}/")
                request = json.dumps(
                    {
                        "model": MODEL,
                        "messages": [{"role": "user", "content": "hi"}],
                        "max_tokens": 3,
                    }
                )
                seen = await page.js(
                    f'fetch("{web.url}/v1/chat/completions", {{method: "POST", headers: '
                    f'{{"Content-Type": "text/plain"}}, body: {json.dumps(request)}}})'
                    '.then(r => "status " + r.status, e => "blocked: " + e)'
                )
                expect(seen.startswith("blocked"), "a foreign text/plain POST to /v1", seen)
                seen = await page.js(
                    f'fetch("{web.url}/jsonstats?{urlencode(token)}")'
                    '.then(r => r.text(), e => "blocked: " + e)'
                )
                expect(seen.startswith("blocked"), "a foreign read of /jsonstats", seen)
                await page.js("document.getElementById('f').submit()")
                await page.loaded()
                text = await page.text()
                expect("origin_not_allowed" in text, "a foreign POST of the form's fields", text)
                nursery.cancel_scope.cancel()
            after = channel.storage.balance if channel.storage else None
            expect(after == balance, "the channel's balance did not move", (balance, after))
            served = client.node.stats["queries"].total
            expect(served == queries, "no inference request was served", served - queries)
    return failures


def main() -> int:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("browser_check: no chromium on PATH (Debian: apt install chromium)", file=sys.stderr)
        return 2
    port = free_port()
    # Chromium's helper processes may still write to the profile as the browser exits.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        proc = subprocess.Popen(
            [browser, "--headless=new", "--no-sandbox", "--disable-gpu",
             f"--remote-debugging-port={port}", f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            failures = trio.run(check, port)
        finally:
            proc.terminate()
            proc.wait()
    print("all checks passed" if not failures else f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
