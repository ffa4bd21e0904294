"""The proxy's and worker's controls (`/request/*`) change state only by a POST with the
pages' CSRF token (or the token in X-Access-Hash), from no foreign origin (hardening issue
item 1: a GET from any page the operator opened used to disable a worker or proxy)."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest

from cocoon.roles.common.web import serve_web
from cocoon.roles.common.webapp import web_access
from cocoon.roles.proxy.web import proxy_app
from cocoon.roles.worker.web import worker_app

TOKEN = "t0ken"
EVIL = "http://evil.example"


class WorkerStub:
    """What the worker's controls use of a `WorkerNode`."""

    def __init__(self) -> None:
        self.config = SimpleNamespace(
            http_access_hash=TOKEN, http_host="127.0.0.1", http_allowed_hosts=()
        )
        self.coefficient = 1000
        self.manual_disabled = False
        self.ctx = SimpleNamespace(metrics=None)  # `worker_app` sets its metrics there

    async def set_manual_disabled(self, value: bool) -> None:
        self.manual_disabled = value

    async def set_coefficient(self, value: int) -> None:
        self.coefficient = value


def proxy_stub() -> SimpleNamespace:
    config = SimpleNamespace(http_access_hash=TOKEN, http_host="127.0.0.1", http_allowed_hosts=())
    return SimpleNamespace(config=config, manually_disabled=False, sc_balance=0)


@pytest.fixture
def serve(nursery):
    async def start(app):
        web = await nursery.start(serve_web, app, "127.0.0.1", 0)
        return httpx.AsyncClient(base_url=web.url, timeout=5), web.url, web_access(app)

    return start


async def test_worker_controls_refuse_gets_and_forged_posts(serve):
    node = WorkerStub()
    http, url, access = await serve(worker_app(node))
    async with http:
        for path in ("/request/disable", "/request/enable"):
            r = await http.get(path, params={"access_hash": TOKEN})
            assert r.status_code == 405
        r = await http.get("/request/change_coefficient", params={"access_hash": TOKEN, "coefficient": "9"})  # fmt: skip
        assert r.status_code == 200 and 'method="post"' in r.text  # the form only
        assert access.csrf_token in r.text
        r = await http.post("/request/disable", data={"access_hash": TOKEN})
        assert r.status_code == 403  # no CSRF token
        fields = access.form_fields()
        r = await http.post("/request/disable", data=fields, headers={"Origin": EVIL})
        assert r.status_code == 403
        r = await http.post(
            "/request/change_coefficient", data=fields | {"coefficient": "9"}, headers={"Origin": EVIL}
        )  # fmt: skip
        assert r.status_code == 403
        assert node.coefficient == 1000 and not node.manual_disabled
        r = await http.post("/request/disable", data=fields, headers={"Origin": url})
        assert r.status_code == 200 and node.manual_disabled
        r = await http.post(
            "/request/change_coefficient", data=fields | {"coefficient": "1.5"}, headers={"Origin": url}
        )  # fmt: skip
        assert r.status_code == 200 and node.coefficient == 1500
        r = await http.post("/request/enable", headers={"X-Access-Hash": TOKEN})
        assert r.status_code == 200 and not node.manual_disabled


async def test_proxy_controls_refuse_gets_and_forged_posts(serve):
    node = proxy_stub()
    http, url, access = await serve(proxy_app(node))
    async with http:
        for path in ("/request/disable", "/request/charge", "/request/payout", "/request/withdraw"):
            r = await http.get(path, params={"access_hash": TOKEN})
            assert r.status_code == 405, path
            r = await http.get(path, headers={"Origin": EVIL})
            assert r.status_code == 403 and "access-control-allow-origin" not in r.headers
        r = await http.post("/request/disable", params={"access_hash": TOKEN})
        assert r.status_code == 403 and not node.manually_disabled  # no CSRF token
        r = await http.post("/request/disable", data=access.form_fields(), headers={"Origin": url})
        assert r.status_code == 200 and node.manually_disabled
        r = await http.post("/request/withdraw", headers={"X-Access-Hash": TOKEN})
        assert r.status_code == 200 and "nothing to withdraw" in r.text
        assert "access_hash=" + TOKEN in r.text  # the link back to /stats keeps the token
