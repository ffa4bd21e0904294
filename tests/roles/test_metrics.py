"""`/metrics` of every role on a live network: Prometheus's text format (parsed with the
library's own parser), behind the access hash, and figures that agree with the requests made,
the usage they returned and `/jsonstats`."""

from __future__ import annotations

import json
from collections.abc import Iterable

import httpx
import pytest
import trio
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from cocoon.backends.fake import FakeInferenceConfig
from cocoon.network import Network, NetworkConfig, open_network
from cocoon.roles.common.metrics import ModelLabels, endpoint_label, sync_families
from cocoon.roles.common.web import WebHandle
from cocoon.roles.proxy.registry import base_model_name

MODEL = "Qwen/Qwen3-8B"
CHAT = "/v1/chat/completions"
COMPLETIONS = "/v1/completions"
UNKNOWN = "caller-chosen-model-name"


def chat(**extra: object) -> dict:
    return {
        "model": MODEL,
        "messages": [{"role": "user", "content": "a b c"}],
        "max_tokens": 4,
    } | extra


class Scrape:
    """One scrape: samples by name, found by their labels."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.families = {f.name: f for f in text_string_to_metric_families(text)}

    def samples(self, name: str) -> list[Sample]:
        return [s for f in self.families.values() for s in f.samples if s.name == name]

    def value(self, name: str, **labels: str) -> float:
        found = [s.value for s in self.samples(name) if labels.items() <= s.labels.items()]
        assert found, f"no sample {name} {labels}"
        return sum(found)

    def has(self, *families: str) -> None:
        missing = set(families) - set(self.families)
        assert not missing, missing


async def scrape(web: WebHandle) -> Scrape:
    # As Prometheus sends a scrape's credentials (`authorization: {credentials: ...}`).
    auth = {"Authorization": f"Bearer {web.access_hash}"}
    async with httpx.AsyncClient(base_url=web.url, timeout=10) as http:
        r = await http.get("/metrics", headers=auth)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")  # Prometheus text
    return Scrape(r.text)


def sse_usage(text: str) -> dict:
    events = [line[6:] for line in text.split("\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    return json.loads(events[-2])["usage"]


async def settled(net: Network) -> None:
    """Wait until the proxy and the worker have closed the books on every request (the
    client may see an answer's end a moment before they do)."""
    proxy, worker = net.proxies[0].node, net.workers[0].node
    with trio.fail_after(10):
        while any(a.running for a in proxy.clients.values()) or worker.ctx.active:  # noqa: ASYNC110
            await trio.sleep(0.01)


def summed(values: Iterable[float]) -> int:
    return int(sum(values))


@pytest.fixture
async def net():
    # Tokens a few ms apart, so that streamed answers travel in parts through every hop.
    config = NetworkConfig(inference=FakeInferenceConfig(token_delay=0.005))
    async with open_network(config) as network:
        yield network


@pytest.mark.e2e
async def test_every_role_serves_metrics_that_match_the_requests(net: Network):
    client_web = net.clients[0].web
    assert client_web is not None
    usages = []
    async with httpx.AsyncClient(base_url=net.client_url, timeout=30) as http:
        for _ in range(2):
            r = await http.post(CHAT, json=chat())
            assert r.status_code == 200
            usages.append(r.json()["usage"])
        r = await http.post(CHAT, json=chat(stream=True))
        assert r.status_code == 200
        usages.append(sse_usage(r.text))
        body = {"model": MODEL, "prompt": "a b", "max_tokens": 4, "stream": True}
        r = await http.post(COMPLETIONS, json=body)
        assert r.status_code == 200
        usages.append(sse_usage(r.text))
        assert (await http.post(CHAT, json={"model": 1})).status_code == 400
        assert (await http.post(CHAT, json=chat(model=UNKNOWN))).status_code == 404
        jsonstats = (
            await http.get("/jsonstats", headers={"X-Access-Hash": client_web.access_hash})
        ).json()
    await settled(net)
    billed = sum(u["cocoon_adjusted_tokens"] for u in usages)
    cost = sum(u["total_cost"] for u in usages)
    assert billed > 0 and cost == 2 * billed  # price 2 nano-TON per token

    # ------------------------------------------------------------------ client
    m = await scrape(client_web)
    m.has("cocoon_client_requests", "cocoon_client_request_duration_seconds",
          "cocoon_client_time_to_first_token_seconds", "cocoon_client_tokens",
          "cocoon_client_billed_tokens", "cocoon_client_spent_nanotons",
          "cocoon_client_running_requests", "cocoon_client_connections",
          "cocoon_client_channel_balance_nanotons", "cocoon_client_channel_stake_nanotons",
          "cocoon_client_channel_owed_nanotons", "cocoon_client_channel_tokens",
          "cocoon_client_channel_transactions", "cocoon_client_ton_sync_lag_seconds")  # fmt: skip
    total = "cocoon_client_requests_total"
    assert m.value(total, endpoint=CHAT, model=MODEL, status="200") == 3
    assert m.value(total, endpoint=COMPLETIONS, model=MODEL, status="200") == 1
    assert m.value(total, endpoint=CHAT, model="other", status="400") == 1
    assert m.value(total, endpoint=CHAT, model="other", status="404") == 1
    assert UNKNOWN not in m.text  # a caller's model name is never a label
    assert summed(s.value for s in m.samples(total)) == 6
    duration = "cocoon_client_request_duration_seconds_count"
    assert m.value(duration, endpoint=CHAT, model=MODEL) == 3  # answered ones only
    assert m.value(duration, endpoint=COMPLETIONS, model=MODEL) == 1
    assert summed(s.value for s in m.samples(duration)) == 4
    first = "cocoon_client_time_to_first_token_seconds_count"
    assert m.value(first, endpoint=CHAT, model=MODEL) == 1  # streamed ones only
    assert m.value(first, endpoint=COMPLETIONS, model=MODEL) == 1
    assert m.value("cocoon_client_request_duration_seconds_sum") > 0
    assert m.value("cocoon_client_billed_tokens_total", model=MODEL) == billed
    assert m.value("cocoon_client_spent_nanotons_total", model=MODEL) == cost
    tokens = "cocoon_client_tokens_total"
    assert m.value(tokens, model=MODEL, kind="prompt") > 0
    assert m.value(tokens, model=MODEL, kind="completion") > 0
    assert m.value(tokens, model=MODEL) == billed  # the adjusted parts add up to the bill
    assert m.value("cocoon_client_running_requests") == 0
    assert m.value("cocoon_client_connections", peer="proxy", state="ready") == 1
    [channel] = jsonstats["proxies"]
    proxy = channel["proxy_sc_address"]
    assert (
        m.value("cocoon_client_channel_balance_nanotons", proxy_contract=proxy)
        == channel["balance"]
    )
    assert m.value("cocoon_client_channel_stake_nanotons", proxy_contract=proxy) == channel["stake"]
    assert channel["balance"] > 0
    settled_tokens = m.value("cocoon_client_channel_tokens", proxy_contract=proxy, state="settled")
    assert settled_tokens == channel["tokens_charged"]
    used = m.value("cocoon_client_channel_tokens", proxy_contract=proxy, state="used")
    assert (
        m.value("cocoon_client_channel_owed_nanotons", proxy_contract=proxy)
        == (used - settled_tokens) * 2
    )
    assert 0 <= m.value("cocoon_client_ton_sync_lag_seconds") < float("inf")
    assert m.value("cocoon_client_ton_last_sync_timestamp_seconds") == pytest.approx(
        jsonstats["status"]["ton_last_synced_at"], abs=600
    )

    # ------------------------------------------------------------------ proxy
    proxy_web = net.proxies[0].web
    assert proxy_web is not None
    m = await scrape(proxy_web)
    m.has("cocoon_proxy_requests", "cocoon_proxy_request_duration_seconds",
          "cocoon_proxy_time_to_first_token_seconds", "cocoon_proxy_billed_tokens",
          "cocoon_proxy_running_requests", "cocoon_proxy_queued_requests",
          "cocoon_proxy_worker_slots", "cocoon_proxy_connections", "cocoon_proxy_payment_tokens",
          "cocoon_proxy_owed_nanotons", "cocoon_proxy_client_balance_nanotons",
          "cocoon_proxy_client_stake_nanotons", "cocoon_proxy_contract_balance_nanotons",
          "cocoon_proxy_ton_sync_lag_seconds", "cocoon_proxy_serving")  # fmt: skip
    total = "cocoon_proxy_requests_total"
    assert m.value(total, endpoint=CHAT, model=MODEL, status="success") == 3
    assert m.value(total, endpoint=COMPLETIONS, model=MODEL, status="success") == 1
    assert m.value(total, endpoint=CHAT, model="other", status="rejected") == 1  # unknown model
    assert UNKNOWN not in m.text
    assert summed(s.value for s in m.samples(total)) == 5  # the 400 never left the client
    assert m.value("cocoon_proxy_request_duration_seconds_count") == 4
    assert m.value("cocoon_proxy_time_to_first_token_seconds_count", model=MODEL) == 2
    assert m.value("cocoon_proxy_billed_tokens_total", model=MODEL) == billed
    assert m.value("cocoon_proxy_payment_tokens", peer="client", state="used") == billed
    assert m.value("cocoon_proxy_payment_tokens", peer="worker", state="used") == billed
    assert m.value("cocoon_proxy_owed_nanotons", peer="client") == billed * 2 - settled_tokens * 2
    assert m.value("cocoon_proxy_connections", peer="client", state="ready") == 1
    assert m.value("cocoon_proxy_connections", peer="worker", state="ready") == 1
    assert m.value("cocoon_proxy_worker_slots", model=MODEL, state="busy") == 0
    assert m.value("cocoon_proxy_worker_slots", model=MODEL, state="free") > 0
    assert m.value("cocoon_proxy_queued_requests", model=MODEL) == 0
    assert m.value("cocoon_proxy_running_requests") == 0
    assert m.value("cocoon_proxy_serving") == 1
    assert m.value("cocoon_proxy_client_stake_nanotons") == channel["stake"]

    # ------------------------------------------------------------------ worker
    worker_web = net.workers[0].web
    assert worker_web is not None
    m = await scrape(worker_web)
    m.has("cocoon_worker_requests", "cocoon_worker_request_duration_seconds",
          "cocoon_worker_time_to_first_token_seconds", "cocoon_worker_tokens",
          "cocoon_worker_running_requests", "cocoon_worker_max_running_requests",
          "cocoon_worker_connections", "cocoon_worker_earned_tokens", "cocoon_worker_owed_nanotons",
          "cocoon_worker_inference_server_up", "cocoon_worker_enabled",
          "cocoon_worker_ton_sync_lag_seconds")  # fmt: skip
    served = base_model_name(MODEL)
    total = "cocoon_worker_requests_total"
    assert m.value(total, endpoint=CHAT, model=served, status="success") == 3
    assert m.value(total, endpoint=COMPLETIONS, model=served, status="success") == 1
    assert summed(s.value for s in m.samples(total)) == 4
    assert m.value("cocoon_worker_request_duration_seconds_count") == 4
    assert m.value("cocoon_worker_time_to_first_token_seconds_count") == 2
    assert m.value("cocoon_worker_tokens_total") == billed
    assert m.value("cocoon_worker_earned_tokens", state="earned") == billed
    assert m.value("cocoon_worker_owed_nanotons") > 0  # the fee on what is not paid out yet
    assert m.value("cocoon_worker_running_requests") == 0
    assert m.value("cocoon_worker_connections", peer="proxy", state="ready") == 1
    assert m.value("cocoon_worker_inference_server_up") == 1
    assert m.value("cocoon_worker_enabled") == 1


@pytest.mark.e2e
async def test_metrics_need_the_access_hash(net: Network):
    for web in (net.clients[0].web, net.proxies[0].web, net.workers[0].web):
        assert web is not None
        async with httpx.AsyncClient(base_url=web.url, timeout=10) as http:
            assert (await http.get("/metrics")).status_code == 401
            r = await http.get("/metrics", headers={"Authorization": "Bearer wrong"})
            assert r.status_code == 403
            r = await http.get("/metrics", params={"access_hash": web.access_hash})
            assert r.status_code == 200 and web.access_hash not in r.text
            r = await http.get("/metrics", headers={"X-Access-Hash": web.access_hash})
            assert r.status_code == 200
            # The bearer form is for /metrics only: other pages keep their own ways.
            r = await http.get("/jsonstats", headers={"Authorization": f"Bearer {web.access_hash}"})
            assert r.status_code == 401


def test_label_values_are_bounded():
    labels = ModelLabels(limit=2)
    known = {"a", "b", "c"}
    assert [labels(m, known) for m in ("a", "x", "b", "c", "a")] == [
        "a",
        "other",
        "b",
        "other",
        "a",
    ]
    assert endpoint_label("/v1/chat/completions?debug=1") == "/v1/chat/completions"
    assert endpoint_label("/v1/completions") == "/v1/completions"
    assert endpoint_label("/v1/embeddings") == endpoint_label("/anything/else") == "other"


def test_sync_lag_is_infinite_before_the_first_read():
    [lag] = sync_families("proxy", None)
    assert lag.name == "cocoon_proxy_ton_sync_lag_seconds" and lag.samples[0].value == float("inf")
    lag, last = sync_families("proxy", 1000.0)
    assert lag.samples[0].value > 0 and last.samples[0].value == 1000.0


def test_histograms_expose_what_the_librarys_histogram_does():
    """`Histograms` (plain counts on the request path) against `prometheus_client.Histogram`
    fed the same values: the same buckets (a value on a bound counts in it), sum and count."""
    from prometheus_client import CollectorRegistry, Histogram, generate_latest

    from cocoon.roles.common.metrics import DURATION_BUCKETS, Histograms, Registry, ScrapeCollector

    library = CollectorRegistry()
    theirs = Histogram("h_seconds", "doc", ("endpoint",), buckets=DURATION_BUCKETS,
                       registry=library)  # fmt: skip
    ours = Histograms("h_seconds", "doc", ("endpoint",), DURATION_BUCKETS)
    registry = Registry()
    registry.register(ScrapeCollector(lambda: [ours.family()]))
    for endpoint, value in [(CHAT, 0.0), (CHAT, 0.05), (CHAT, 0.07), (CHAT, 1.0), (CHAT, 400.0),
                            (COMPLETIONS, 2.5), (COMPLETIONS, 0.3)]:  # fmt: skip
        theirs.labels(endpoint).observe(value)
        ours.observe((endpoint,), value)

    def samples(text: bytes) -> set[tuple[str, tuple, float]]:
        return {
            (s.name, tuple(sorted(s.labels.items())), s.value)
            for f in text_string_to_metric_families(text.decode())
            for s in f.samples
            if not s.name.endswith("_created")  # the library's creation times
        }

    expected = samples(generate_latest(library))
    assert ("h_seconds_bucket", (("endpoint", CHAT), ("le", "0.05")), 2.0) in expected
    assert samples(generate_latest(registry)) == expected
