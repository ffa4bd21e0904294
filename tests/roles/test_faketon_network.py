"""A whole network of ours in the reference's fake-TON mode (`--disable-ton`, spec 30 section
13): every role reads the root from our fake config (tests/data, the reference's format) and
runs on a pseudo chain of its own, so nothing one role sends on a chain reaches another. It
still answers, with the reference's addresses (spec 30 section 16, vector 3), valid signed
payments, and nothing settled."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import trio

from cocoon.network import Network, NetworkConfig, open_network
from cocoon.ton.bodies import RootChangePrice
from cocoon.ton.cells import raw
from cocoon.ton.errors import LedgerError
from cocoon.ton.faketon import FakeTonLedger
from cocoon.ton.ledger import AccountStatus

pytestmark = pytest.mark.e2e

FIXTURE = Path(__file__).parent.parent / "data" / "fake-ton-config.json"
MODEL = "Qwen/Qwen3-8B"
WAIT = 60.0  # a bound for conditions that need a state commit and a payment poll


def fake_config(**changes) -> NetworkConfig:
    return NetworkConfig(fake_ton=FIXTURE, model=MODEL, **changes)


async def chat(net: Network) -> dict:
    async with httpx.AsyncClient(base_url=net.client_url, timeout=30) as http:
        r = await http.post(
            "/v1/chat/completions",
            json={
                "model": MODEL,
                "messages": [{"role": "user", "content": "a b c"}],
                "max_tokens": 4,
            },
        )
    assert r.status_code == 200, r.text
    return r.json()


async def until(condition) -> None:
    with trio.fail_after(WAIT):
        while not condition():  # noqa: ASYNC110 - state across tasks and connections
            await trio.sleep(0.05)


async def test_a_fake_ton_network_answers_with_signed_unsettled_payments() -> None:
    # Thresholds of 1 nano: a proxy that settled anything would charge and pay out at once.
    async with open_network(fake_config(min_client_charge=1, min_worker_payout=1)) as net:
        proxy, client, worker = net.proxies[0].node, net.clients[0].node, net.workers[0].node
        ledgers = {slot.config.__class__.__name__: slot._kwargs["ledger"] for slot in
                   (net.proxy_slots[0], net.client_slots[0], net.worker_slots[0])}  # fmt: skip
        # No shared chain: each role has a pseudo chain of its own.
        assert all(isinstance(x, FakeTonLedger) for x in ledgers.values())
        assert len({id(x) for x in ledgers.values()}) == 3

        answer = await chat(net)
        assert answer["usage"]["total_cost"] == answer["usage"]["cocoon_adjusted_tokens"] * 2

        # The reference's addresses (spec 30 section 16, vector 3).
        assert raw(proxy.sc_address) == (
            "0:4f93161f3ca80e04c6db8bd55054ed83433ed6837c3d2b9613b25f31d7f29a79"
        )
        (acc,) = proxy.clients.values()
        assert raw(acc.sc_address) == (
            "0:800a33452d8e00ac8f99750b006b31005b8d4abc7c952005ac161f696ea700d5"
        )
        (wacc,) = proxy.workers.values()
        assert raw(wacc.sc_address) == (
            "0:cb6068511cda97aae29725acec8cc0545215ed999fcda26e37fbfb33b6983cd1"
        )

        # Signed payments: the proxy anchors its commits on its pseudo chain and signs; the
        # client checks the signature (an invalid one would be dropped) and keeps it.
        used = acc.tokens.tokens_max
        assert used == answer["usage"]["cocoon_adjusted_tokens"]
        link = client.links[0]
        await until(lambda: link.signed_tokens == used)
        owed = wacc.tokens.tokens_max
        assert owed > 0
        await until(lambda: any(e.chain_tokens == owed for e in worker.earnings.by_proxy.values()))

        # Nothing settled: the proxy's settlement loop ends at once (it would otherwise run
        # for ever), and no charge, payout, top-up or register was sent anywhere.
        with trio.fail_after(WAIT):
            await proxy.payments_loop()
        assert acc.tokens.sc_tokens == 0 and wacc.tokens.sc_tokens == 0
        proxy_chain = ledgers["ProxyConfig"].chain
        assert {c.kind for c in proxy_chain.contracts()} == {"root", "proxy", "wallet"}
        for name in ("ClientConfig", "WorkerConfig"):
            chain = ledgers[name].chain
            assert {c.kind for c in chain.contracts()} == {"root"}
            assert all(not a.transactions for a in chain.accounts.values())
        state = await ledgers["ClientConfig"].get_account(acc.sc_address)
        assert state.status is not AccountStatus.ACTIVE
        with pytest.raises(LedgerError, match="fake-TON"):
            net.govern(RootChangePrice(query_id=0, price_per_token=3, worker_fee_per_token=1))


async def test_the_client_authorizes_without_a_register_message() -> None:
    # Our network's clients have a secret of their own: the proxy offers short auth with
    # sha256("") (the reference's pseudo client), the client falls back to long auth, and
    # the proxy accepts it at once instead of waiting for a register on a chain.
    async with open_network(fake_config()) as net:
        proxy = net.proxies[0].node
        assert proxy.stats["auth_long"].total == 1
        assert proxy.stats["auth_short"].total == 0
        await chat(net)


async def test_a_client_with_the_empty_secret_uses_short_auth() -> None:
    async with open_network(fake_config(client_options={"secret_string": ""})) as net:
        proxy = net.proxies[0].node
        assert proxy.stats["auth_short"].total == 1
        assert proxy.stats["auth_long"].total == 0
        await chat(net)


async def test_a_restarted_fake_ton_proxy_serves_again_on_its_database(tmp_path: Path) -> None:
    config = fake_config(data_dir=tmp_path)
    async with open_network(config) as net:
        await chat(net)
    async with open_network(config) as net:  # new pseudo chains, the same proxy database
        await chat(net)
