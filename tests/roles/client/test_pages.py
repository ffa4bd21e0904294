"""The client's pages on a live network: `/stats`, `/jsonstats` (the reference's keys and
ours), `/health`, `/v1/models`, the payment-channel actions, debug mode and its log, and the
access hash."""

from __future__ import annotations

import html
import json
import re

import httpx
import pytest

from cocoon.network import Network, NetworkConfig, open_network
from cocoon.roles.common.counters import WINDOW_NAMES

from ..netutil import eventually

pytestmark = pytest.mark.e2e

MODEL = "Qwen/Qwen3-8B"
BODY = {"model": MODEL, "messages": [{"role": "user", "content": "x y"}], "max_tokens": 3}


@pytest.fixture
async def net():
    async with open_network(NetworkConfig(worker_coefficients=(1500,))) as network:
        yield network


@pytest.fixture
async def http(net: Network):
    # The access hash generated at start, as a header: what the CLI tools send.
    token = {"X-Access-Hash": net.clients[0].web.access_hash}
    async with httpx.AsyncClient(base_url=net.client_url, timeout=10, headers=token) as client:
        yield client


async def test_jsonstats_has_every_key(http):
    assert (await http.post("/v1/chat/completions", json=BODY)).status_code == 200
    assert (await http.post("/v1/chat/completions", json={"model": 1})).status_code == 400
    data = (await http.get("/jsonstats")).json()
    assert {"status", "stats", "wallet", "localconf", "root_contract_config", "proxy_connections",
            "proxies", "health", "models", "requests"} <= set(data)  # fmt: skip
    assert {"wallet_balance", "ton_last_synced_at", "enabled", "git_commit", "git_commit_data"} <= set(data["status"])  # fmt: skip
    stats = data["stats"]
    for key in ("queries", "success", "failed", "bytes_received", "bytes_sent", "time",
                "proxy_time", "worker_time"):  # fmt: skip
        assert len(stats[key]) == len(WINDOW_NAMES)
    assert stats["queries"][0] == 2
    assert stats["success"][0] == 1 and stats["failed"][0] == 1  # the reference mixes these up
    assert stats["proxy_time"][0] > 0 and stats["worker_time"][0] > 0
    assert data["status"]["wallet_balance"] > 0
    assert abs(data["status"]["ton_last_synced_at"] - data["requests"][-1]["started_at"]) < 120
    assert {"address", "balance", "seqno", "pending_transactions_cnt", "active_transactions_cnt"} <= set(data["wallet"])  # fmt: skip
    assert {"root_address", "owner_address", "check_proxy_hash"} <= set(data["localconf"])
    assert data["root_contract_config"]["price_per_token"] == 2
    [conn] = data["proxy_connections"]
    assert conn["is_ready"] is True and conn["proxy_sc_address"]
    [proxy] = data["proxies"]
    for key in ("proxy_sc_address", "proxy_public_key", "sc_address", "state",
                "tokens_used_proxy_committed_to_blockchain", "tokens_used_proxy_committed_to_db",
                "tokens_used_proxy_max", "tokens_charged", "tokens_payed"):  # fmt: skip
        assert key in proxy
    assert proxy["tokens_payed"] > 0
    assert data["health"]["ready"] is True
    ok, bad = data["requests"][-2:]
    assert ok["model"] == MODEL and ok["tokens"] > 0 and ok["cost"] == ok["tokens"] * 2
    assert ok["first_byte_at"] >= ok["started_at"] and ok["status"] == 200
    assert bad["status"] == 400 and "failed to parse request" in bad["error"]
    [model] = data["models"]
    assert model["model"] == MODEL and model["requests"] == 1 and model["tokens"] == ok["tokens"]


async def test_stats_page_renders(http, net: Network):
    await http.post("/v1/chat/completions", json=BODY)
    r = await http.get("/stats")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    for text in ("cocoon client", "1 of 1 connected", MODEL, "Recent requests", "/request/charge?proxy=",
                 "/request/topup?proxy=", "/request/withdraw?proxy=", "/request/close?proxy=",
                 'class="ok"'):  # fmt: skip
        assert text in page, text


async def test_health(http, net: Network):
    r = await http.get("/health")
    assert r.status_code == 200
    assert r.json() == {
        "ready": True,
        "proxies_ready": 1,
        "proxies": 1,
        "models": 1,
        "worker_count": 1,
        "proxy_connected": True,
        "last_error": None,
    }


async def test_models_list_and_retrieve(http):
    data = (await http.get("/v1/models")).json()
    assert data["object"] == "list"
    [model] = data["data"]
    assert model["id"] == MODEL and model["object"] == "model" and model["owned_by"] == "cocoon"
    assert model["active_workers"] == 1 and model["min_coefficient"] == 1500
    assert model["workers"][0]["coefficient"] == 1500
    assert model["created"] > 1_600_000_000
    assert (await http.get("/v1/models?all=1")).json()["data"] == [model]
    assert (await http.get(f"/v1/models/{MODEL}")).json() == model
    r = await http.get("/v1/models/no/such")
    assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"


async def test_debug_mode_json_and_sse_and_the_log(http):
    body = BODY | {"enable_debug": True, "request_guid": "trace-1"}
    r = await http.post("/v1/chat/completions", json=body)
    answer = r.json()  # still one JSON document
    debug = answer["debug"]
    assert {debug[k]["type"] for k in ("proxy", "worker", "client")} == {"proxy_stats", "worker_stats", "client_stats"}  # fmt: skip
    assert (
        debug["client"]["start_time"]
        <= debug["proxy"]["start_time"]
        <= debug["worker"]["start_time"]
    )
    assert answer["usage"]["total_cost"] > 0
    entry = (await http.get("/request/debuglogentry", params={"request_guid": "trace-1"})).json()
    assert entry["client"] == debug["client"]
    assert entry["request"]["request_id"] == r.headers["x-request-id"]
    assert (await http.get("/request/debuglogentry?request_guid=unknown")).json() == {}

    r = await http.post("/v1/chat/completions", json=body | {"stream": True})
    events = [line[6:] for line in r.text.split("\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    assert set(json.loads(events[-2])["debug"]) == {"proxy", "worker", "client"}
    assert json.loads(events[-3])["usage"]["total_cost"] > 0


async def channels_idle(net: Network) -> None:
    """Until the client's first on-chain requests (deploy, register) are confirmed: while one
    is in flight a channel action answers "request is already running" (on liteservers the
    confirmation waits for a proven block)."""
    node = net.clients[0].node
    await eventually(lambda: node.channels and not any(c.busy for c in node.channels.values()))


async def test_channel_actions(http, net: Network):
    await channels_idle(net)
    data = (await http.get("/jsonstats")).json()
    proxy = data["proxies"][0]["proxy_sc_address"]
    r = await http.post("/request/charge", params={"proxy": "EQ-not-an-address"})
    assert "proxy not found" in r.text
    r = await http.post("/request/charge", params={"proxy": proxy})
    assert "nothing to charge" in r.text
    r = await http.post("/request/withdraw", params={"proxy": proxy})
    assert "nothing to withdraw" in r.text
    before = (await http.get("/jsonstats")).json()["proxies"][0]["balance"]
    r = await http.post("/request/topup", params={"proxy": proxy, "amount": "1000000000"})
    assert "request sent" in r.text and 'href="/stats?access_hash=' in r.text
    after = (await http.get("/jsonstats")).json()["proxies"][0]["balance"]
    assert after == before + 1_000_000_000


async def test_the_dashboard_buttons_work_as_a_browser_posts_them(net: Network):
    """What a browser does with a /stats button: POST the form's fields (the access hash and
    the CSRF token), with this server as Origin, and follow the link back."""
    web = net.clients[0].web
    await channels_idle(net)
    async with httpx.AsyncClient(base_url=web.url, timeout=10) as browser:
        page = (await browser.get("/stats", params={"access_hash": web.access_hash})).text
        forms = re.findall(r'<form method="post" action="([^"]+)">(.*?)</form>', page)
        actions = {html.unescape(action).split("?")[0] for action, _ in forms}
        assert actions == {
            "/request/charge",
            "/request/topup",
            "/request/withdraw",
            "/request/close",
        }
        action, inner = next((a, i) for a, i in forms if "/request/withdraw" in a)
        fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', inner))
        assert set(fields) == {"access_hash", "csrf_token"}
        r = await browser.post(html.unescape(action), data=fields, headers={"Origin": web.url})
        assert r.status_code == 200 and "nothing to withdraw" in r.text
        back = re.search(r'href="([^"]+)"', r.text).group(1)
        assert (await browser.get(html.unescape(back))).status_code == 200
        # The same form posted from another site is refused.
        r = await browser.post(
            html.unescape(action), data=fields, headers={"Origin": "http://evil.example"}
        )
        assert r.status_code == 403


async def test_access_hash_guards_the_pages_only():
    options = {"http_access_hash": "s3cret"}
    async with open_network(NetworkConfig(client_options=options)) as net:
        async with httpx.AsyncClient(base_url=net.client_url, timeout=10) as http:
            assert (await http.get("/stats")).status_code == 401
            assert (await http.get("/jsonstats?access_hash=wrong")).status_code == 403
            r = await http.get("/stats?access_hash=s3cret")
            assert r.status_code == 200 and 'name="access_hash" value="s3cret"' in r.text  # forms
            r = await http.get("/jsonstats", headers={"X-Access-Hash": "s3cret"})
            assert r.status_code == 200
            assert (await http.get("/health")).status_code == 200
            assert (await http.get("/v1/models")).status_code == 200
            assert (await http.post("/v1/chat/completions", json=BODY)).status_code == 200
