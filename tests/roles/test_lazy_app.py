"""A role's pages are built at their first request (`cocoon.roles.common.lazyapp`), so a role
at rest never imports Quart; its native routes (`/health`) answer without them."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import trio

from cocoon.roles.common.lazyapp import LazyApp, json_route
from cocoon.roles.common.web import NATIVE_ROUTES, serve_web
from cocoon.roles.common.webguard import WEB_ACCESS, WebAccess, guard_native
from cocoon.roles.worker.web import worker_app

TOKEN = "t0ken"


def pages_app(access: WebAccess, builds: list[object]):
    """A Quart-Trio app whose one page starts a task in the app's nursery (as the client's
    channel actions do), counting its builds."""
    from quart import request

    from cocoon.roles.common.webapp import json_response, new_app

    app = new_app("test", access)
    builds.append(app)

    @app.route("/page")
    async def page():
        done = trio.Event()

        async def task() -> None:
            done.set()

        app.nursery.start_soon(task)  # the app's lifespan ran: its nursery is there
        await done.wait()
        return json_response({"args": request.args.get("x", "")})

    return app


async def test_pages_are_built_once_at_their_first_request(nursery):
    access = WebAccess.create(TOKEN, bind_host="127.0.0.1")
    builds: list[object] = []

    async def health():
        return 200, {"ready": True}

    routes = {("GET", "/health"): guard_native(json_route(access, health), access)}
    app = LazyApp(
        "test", lambda: pages_app(access, builds), {WEB_ACCESS: access, NATIVE_ROUTES: routes}
    )
    web = await nursery.start(serve_web, app, "127.0.0.1", 0)
    async with httpx.AsyncClient(base_url=web.url, timeout=5) as http:
        r = await http.get("/health")
        assert r.status_code == 200 and r.json() == {"ready": True}
        assert r.headers["x-frame-options"] == "DENY"  # the pages' headers, natively too
        r = await http.get("/health", headers={"Host": "evil.example"})
        assert r.status_code == 403  # the guard's Host check, natively too
        assert not app.built and builds == []
        assert app.extensions[WEB_ACCESS] is access

        async def get(x: str) -> None:
            r = await http.get("/page", params={"x": x, "access_hash": TOKEN})
            assert r.status_code == 200 and r.json() == {"args": x}

        async with trio.open_nursery() as requests:  # two first requests at once: one build
            requests.start_soon(get, "1")
            requests.start_soon(get, "2")
        assert app.built and len(builds) == 1
        # What was set before the build is read through the built app.
        assert app.extensions is builds[0].extensions and app.extensions[WEB_ACCESS] is access
        r = await http.get("/page", params={"x": "3"})
        assert r.status_code == 401  # the built app's own guard: the token
    assert len(builds) == 1


async def test_a_worker_at_rest_answers_health_without_its_pages(nursery):
    config = SimpleNamespace(http_access_hash=TOKEN, http_host="127.0.0.1", http_allowed_hosts=())
    node = SimpleNamespace(
        config=config,
        all_links=[SimpleNamespace(ready=True)],
        disabled=False,
        uplink_ok=True,
        ctx=SimpleNamespace(metrics=None),
    )
    app = worker_app(node)
    web = await nursery.start(serve_web, app, "127.0.0.1", 0)
    async with httpx.AsyncClient(base_url=web.url, timeout=5) as http:
        r = await http.get("/health")
        assert r.status_code == 200
        assert r.json() == {"ready": True, "proxies_ready": 1, "uplink_ok": True, "disabled": False}
        assert not app.built
        node.disabled = True
        r = await http.head("/health")  # HEAD goes to the pages
        assert r.status_code == 503 and app.built
