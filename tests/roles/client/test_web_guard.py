"""The client's HTTP server against web pages the operator opens (hardening issue item 1): no
cross-origin request may move funds, read the pages, or spend on `/v1/*`; a DNS-rebinding
Host is refused; the access hash is needed and a wrong one is an OpenAI-shaped 403."""

from __future__ import annotations

import json

import attrs
import httpx
import pytest

from cocoon.errors import ConfigError
from cocoon.roles.client.api import client_app
from cocoon.roles.client.config import ClientConfig
from cocoon.roles.client.events import Done
from cocoon.roles.common.web import serve_web
from cocoon.roles.common.webapp import web_access
from cocoon.roles.common.webguard import WebAccess

from .test_api_failures import BODY, ScriptedNode, head

PROXY = "EQproxy"
TOKEN = "s3cret-token"
EVIL = "http://evil.example"
ACTIONS = ("charge", "topup", "withdraw", "close")


class FakeChannel:
    """Records each action it is asked for."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def _do(self, what: str) -> str:
        self.calls.append(what)
        return f"{what} done"

    async def charge(self) -> str:
        return await self._do("charge")

    async def top_up(self, amount: int | None) -> str:
        return await self._do("topup")

    async def withdraw(self) -> str:
        return await self._do("withdraw")

    async def close(self) -> str:
        return await self._do("close")


class Node(ScriptedNode):
    def __init__(self, **config: object) -> None:
        super().__init__([head("application/json", length=2, payload=b"{}"), Done(None, 0)], **config)  # fmt: skip
        self.channel = FakeChannel()

    def find_channel(self, proxy: str) -> FakeChannel | None:
        return self.channel if proxy == PROXY else None


@attrs.frozen
class Served:
    http: httpx.AsyncClient
    url: str
    access: WebAccess


@pytest.fixture
def serve(nursery):
    async def start(node: Node) -> Served:
        app = client_app(node)
        web = await nursery.start(serve_web, app, "127.0.0.1", 0)
        return Served(httpx.AsyncClient(base_url=web.url, timeout=5), web.url, web_access(app))

    return start


@pytest.mark.parametrize("action", ACTIONS)
async def test_a_cross_origin_get_to_a_control_does_nothing(serve, action):
    node = Node(http_access_hash=TOKEN)
    served = await serve(node)
    async with served.http as http:
        # A link or <img> on any page: a GET, even with the token, changes nothing.
        r = await http.get(f"/request/{action}", params={"proxy": PROXY, "access_hash": TOKEN})
        assert r.status_code == 405
        # A cross-origin fetch: refused for its Origin, with no CORS headers to read it by.
        r = await http.get(f"/request/{action}", params={"proxy": PROXY}, headers={"Origin": EVIL})
        assert r.status_code == 403 and r.json()["error"]["code"] == "origin_not_allowed"
        assert "access-control-allow-origin" not in r.headers
    assert node.channel.calls == []


@pytest.mark.parametrize("action", ACTIONS)
async def test_a_post_needs_the_csrf_token_and_our_origin(serve, action):
    node = Node(http_access_hash=TOKEN)
    served = await serve(node)
    url = f"/request/{action}?proxy={PROXY}"
    fields = served.access.form_fields()  # what the dashboard's forms carry
    async with served.http as http:
        # A form on another site that somehow knows the token: no CSRF token, refused.
        r = await http.post(url, data={"access_hash": TOKEN})
        assert r.status_code == 403 and r.json()["error"]["code"] == "invalid_csrf_token"
        r = await http.post(url, data={"access_hash": TOKEN, "csrf_token": "guess"})
        assert r.status_code == 403
        # The dashboard's own fields, posted from another origin: refused.
        r = await http.post(url, data=fields, headers={"Origin": EVIL})
        assert r.status_code == 403 and r.json()["error"]["code"] == "origin_not_allowed"
        assert node.channel.calls == []
        # From our own origin, with the form's CSRF token: done.
        r = await http.post(url, data=fields, headers={"Origin": served.url})
        assert r.status_code == 200 and f"{action} done" in r.text
        # A tool sending the token as X-Access-Hash (no page can send that header): done.
        r = await http.post(url, headers={"X-Access-Hash": TOKEN})
        assert r.status_code == 200 and f"{action} done" in r.text
    assert node.channel.calls == [action, action]


async def test_the_pages_carry_no_cors_headers(serve):
    served = await serve(Node(http_access_hash=TOKEN))
    async with served.http as http:
        for path in ("/jsonstats", "/stats", "/request/debuglogentry", "/request/close"):
            r = await http.get(path, params={"access_hash": TOKEN, "request_guid": "x"})
            assert "access-control-allow-origin" not in r.headers, path
            r = await http.options(path, headers={"Origin": EVIL})
            assert r.status_code == 403 and "access-control-allow-origin" not in r.headers
        r = await http.get("/request/debuglogentry", params={"access_hash": TOKEN})
        assert r.status_code == 200 and r.headers["x-frame-options"] == "DENY"
        # Not "no-referrer": under it chromium sent `Origin: null` with the dashboard's own
        # form POSTs, and every button was refused (seen with headless chromium).
        assert r.headers["referrer-policy"] == "same-origin"


async def test_a_foreign_page_cannot_spend_on_the_api(serve):
    """A `text/plain` POST needs no preflight: its Origin is what gives it away."""
    node = Node()
    served = await serve(node)
    async with served.http as http:
        body = json.dumps(BODY)
        plain = {"Content-Type": "text/plain"}
        r = await http.post("/v1/chat/completions", content=body, headers=plain | {"Origin": EVIL})
        assert r.status_code == 403 and r.json()["error"]["code"] == "origin_not_allowed"
        assert "access-control-allow-origin" not in r.headers
        r = await http.post("/v1/completions", content=body, headers={"Origin": "null"})
        assert r.status_code == 403
        r = await http.get("/v1/models", headers={"Origin": EVIL})
        assert r.status_code == 403
        assert node.seen == []  # nothing reached the network
        # SDKs and curl send no Origin: served, without CORS headers.
        r = await http.post("/v1/chat/completions", json=BODY)
        assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    assert len(node.seen) == 1


async def test_cors_for_configured_origins_only(serve):
    app_origin = "https://app.example"
    node = Node(cors_origins=[app_origin])
    served = await serve(node)
    async with served.http as http:
        preflight = {
            "Origin": app_origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        }
        r = await http.options("/v1/chat/completions", headers=preflight)
        assert r.status_code == 204
        assert r.headers["access-control-allow-origin"] == app_origin
        assert "POST" in r.headers["access-control-allow-methods"]
        assert "authorization" in r.headers["access-control-allow-headers"].lower()
        assert r.headers["vary"] == "Origin"
        r = await http.post("/v1/chat/completions", json=BODY, headers={"Origin": app_origin})
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == app_origin
        r = await http.get("/v1/models/none", headers={"Origin": app_origin})  # via Quart
        assert r.headers["access-control-allow-origin"] == app_origin
        r = await http.post("/v1/chat/completions", json={}, headers={"Origin": app_origin})
        assert r.status_code == 400 and r.headers["access-control-allow-origin"] == app_origin
        # Not for the pages, and not for another origin.
        r = await http.options("/jsonstats", headers={"Origin": app_origin})
        assert r.status_code == 403 and "access-control-allow-origin" not in r.headers
        r = await http.options("/v1/chat/completions", headers={"Origin": EVIL})
        assert r.status_code == 403 and "access-control-allow-origin" not in r.headers


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/models", "/jsonstats", "/health"])
async def test_a_dns_rebinding_host_is_refused(serve, path):
    node = Node(http_access_hash=TOKEN)
    served = await serve(node)
    port = httpx.URL(served.url).port
    async with served.http as http:
        rebound = {"Host": f"evil.example:{port}", "X-Access-Hash": TOKEN}
        r = await (http.post(path, json=BODY, headers=rebound) if path.endswith("completions")
                   else http.get(path, headers=rebound))  # fmt: skip
        assert r.status_code == 403 and r.json()["error"]["code"] == "host_not_allowed"
        # Our names, and any IP address (a probe's, a LAN user's): no page can rebind those.
        for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "10.1.2.3:80"):
            r = await http.get("/health", headers={"Host": host})
            assert r.status_code != 403, host
    assert node.seen == []


async def test_allowed_hosts_adds_names(serve):
    served = await serve(Node(http_allowed_hosts=["cocoon.lan", "box:8080"]))
    async with served.http as http:
        assert (await http.get("/health", headers={"Host": "cocoon.lan:1"})).status_code != 403
        assert (await http.get("/health", headers={"Host": "box:8080"})).status_code != 403
        assert (await http.get("/health", headers={"Host": "box:8081"})).status_code == 403


async def test_the_pages_need_the_access_hash_and_a_wrong_one_is_a_json_403(serve):
    served = await serve(Node(http_access_hash=TOKEN))
    async with served.http as http:
        r = await http.get("/jsonstats", params={"access_hash": "wrong"})
        assert r.status_code == 403
        error = r.json()["error"]
        assert error["code"] == "invalid_access_hash" and error["type"] == "invalid_request_error"
        assert set(error) == {"message", "type", "code", "param"}
        r = await http.get("/jsonstats")
        assert r.status_code == 401 and r.json()["error"]["code"] == "missing_access_hash"
        r = await http.get("/request/debuglogentry", headers={"X-Access-Hash": "wrong"})
        assert r.status_code == 403


async def test_without_a_configured_hash_one_is_generated_not_open(serve):
    served = await serve(Node())
    assert len(served.access.access_hash) >= 24 and served.access.generated
    async with served.http as http:
        assert (await http.get("/request/debuglogentry")).status_code == 401
        r = await http.get(
            "/request/debuglogentry", params={"access_hash": served.access.access_hash}
        )
        assert r.status_code == 200


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("cors_origins", ["*"]),
        ("cors_origins", ["https://app.example/path"]),
        ("cors_origins", ["app.example"]),
        ("http_allowed_hosts", ["bad host"]),
        ("http_allowed_hosts", ["host:99999"]),
    ],
)
def test_bad_origin_and_host_keys_are_refused_at_start(key, value):
    with pytest.raises(ConfigError, match=key):
        ClientConfig.from_dict({"owner_address": "x", key: value})


def test_host_answers_are_remembered_per_host_and_bounded():
    from cocoon.roles.common import webguard

    access = webguard.WebAccess.create("", bind_host="0.0.0.0", allowed_hosts=("api.example.com",))
    for _ in range(2):  # the second round is answered from what the first kept
        assert access.host_allowed("api.example.com:8080")
        assert access.host_allowed("localhost:1")
        assert not access.host_allowed("evil.example")
        assert not access.host_allowed("bad host")
    for i in range(200):
        assert not access.host_allowed(f"rebind{i}.example")
    assert len(access._host_answers) == webguard._HOST_ANSWERS_KEPT
    assert not access.host_allowed("rebind199.example")  # not kept, still refused
    assert access.host_allowed("api.example.com")
