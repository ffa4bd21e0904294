"""Proxy and workers in one process, driven by a TL-level client over RA-TLS with fake TDX
(issue 5): routing, streaming, accounting, payments on the embedded ledger, and failures."""

from __future__ import annotations

import attrs
import pytest
import trio

from cocoon.backends.fake import FakeInferenceConfig
from cocoon.network import NetworkConfig, open_network
from cocoon.ratls.quote import FAKE_IMAGE_HASH
from cocoon.ton.bodies import RootChangePrice
from cocoon.ton.codes import LOCAL_CODES, is_identity_only
from cocoon.ton.constants import CLIENT_MIN_RESERVE, DEPLOY_VALUE_PROXY
from cocoon.ton.ledger import read_contract

from .netutil import chat_body, eventually, run_request

pytestmark = pytest.mark.e2e

# The roles on the embedded ledger, and on proof-checking LiteLedgers through fake liteservers
# over the same chain (issue 15): the same answers and the same books.
LEDGERS = pytest.mark.parametrize("ledger", ["embedded", "lite"])


def cfg(**changes: object) -> NetworkConfig:
    return NetworkConfig(client_http=False, **changes)


@LEDGERS
async def test_concurrent_streamed_and_plain_requests_use_both_workers(ledger):
    async with open_network(
        cfg(workers=2, inference=FakeInferenceConfig(token_delay=0.005), ledger=ledger)
    ) as net:
        node = net.clients[0].node
        outcomes = []

        async def one(i: int) -> None:
            outcomes.append(await run_request(node, chat_body(stream=i % 2 == 0, max_tokens=8)))

        async with trio.open_nursery() as nursery:
            for i in range(12):
                nursery.start_soon(one, i)
        assert len(outcomes) == 12
        for out in outcomes:
            assert out.failed is None, out.failed
            assert out.head.response.status_code == 200
            usage = out.usage()
            assert usage["completion_tokens"] == 8
            assert usage["total_cost"] == usage["cocoon_adjusted_tokens"] * 2  # price 2 nano/token
            assert out.done.tokens == usage["cocoon_adjusted_tokens"] > 0
        assert all(b.stats.requests > 0 for b in net.backends), "both workers served requests"
        headers = {h.name for h in outcomes[0].head.response.headers}
        assert {"X-Cocoon-Worker-Start", "X-Cocoon-Proxy-Start", "X-Cocoon-Proxy-End"} <= headers


async def test_streams_are_forwarded_as_they_are_produced():
    async with open_network(cfg(inference=FakeInferenceConfig(token_delay=0.05))) as net:
        out = await run_request(net.clients[0].node, chat_body(stream=True, max_tokens=12))
        assert out.done is not None
        assert len(out.chunks) >= 6, "the answer arrived in pieces"
        assert out.first_chunk_at < 0.3 < 0.55 < out.ended_at
        # Billed: usage came through the stream (the reference bills streams 0).
        assert out.usage()["completion_tokens"] == 12 and out.done.tokens > 0


@LEDGERS
async def test_accounts_and_payments_settle_on_the_ledger(ledger):
    async with open_network(cfg(min_client_charge=1, min_worker_payout=1, ledger=ledger)) as net:
        client = net.clients[0].node
        proxy = net.proxies[0].node
        total = 0
        for _ in range(5):
            out = await run_request(client, chat_body(max_tokens=20))
            total += out.done.tokens
        acc = next(iter(proxy.clients.values()))
        wacc = next(iter(proxy.workers.values()))
        assert acc.tokens.tokens_max == total == wacc.tokens.tokens_max
        # With 1-nano thresholds the proxy charges the client and pays the worker at once.
        await eventually(
            lambda: acc.tokens.sc_tokens == total and wacc.tokens.sc_tokens == total, within=15
        )
        client_sc = await read_contract(net.ledger, acc.sc_address, "client")
        worker_sc = await read_contract(net.ledger, wacc.sc_address, "worker")
        assert client_sc.tokens_used == total and worker_sc.tokens == total
        owner = await net.ledger.get_account(wacc.owner_address)
        assert owner.balance == total * 1  # worker fee 1 nano per token, paid to its owner
        # Receipts reached the client and the worker.
        link = client.links[0]
        await eventually(lambda: link.signed_tokens == total and link.max_tokens == total)
        earnings = next(iter(net.workers[0].node.earnings.by_proxy.values()))
        await eventually(lambda: earnings.chain_tokens == total)
        # Nothing was created or lost: the chain's books balance (`total()` counts the fees
        # collected), and real fees were paid: the network runs on mainnet's prices.
        chain = net.chain
        assert chain.total() == chain.minted and chain.fees_collected > 0
        # The fees came out of the contracts' gas money, never out of what they owe: the proxy
        # contract holds the client's refundable balance and its own earnings (spec 30 section
        # 8.5) plus a gas reserve of at most its deploy value.
        proxy_sc = await read_contract(net.ledger, proxy.sc_address, "proxy")
        owed = client_sc.balance + proxy_sc.balance + proxy_sc.stake
        reserve = (await net.ledger.get_account(proxy.sc_address)).balance - owed
        assert 0 < reserve < DEPLOY_VALUE_PROXY
        # The client's deposit (one stake) lost exactly the tokens charged, not a nano of fees.
        assert client_sc.balance == client_sc.stake - 2 * total  # price 2 nano/token
        # The client and worker contracts kept their minimum reserve for storage and gas.
        for address in (acc.sc_address, wacc.sc_address):
            assert (await net.ledger.get_account(address)).balance >= CLIENT_MIN_RESERVE
        # The nodes' wallets are our compiled CocoonWallet, as every contract here is real
        # code: the whole network could be deployed to a real chain as it is.
        for wallet in (proxy.wallet, client.wallet):
            state = await net.ledger.get_account(wallet.address)
            assert state.active and state.code.hash == LOCAL_CODES.wallet.hash
        assert all(a.code is None or not is_identity_only(a.code) for a in chain.accounts.values())
        if net.lite is not None:
            # The roles read the chain only through liteservers, every answer proven.
            roles = net.lite.queries_by_role()
            assert {"proxy0", "worker0", "client0"} <= set(roles)
            assert all(c["liteServer.getAccountState"] > 0 for c in roles.values())
            # The proxy's proven view of the contracts comes level with the chain's.
            lite = net.lite.ledgers["proxy0"]
            with trio.fail_after(10):
                for address in (acc.sc_address, wacc.sc_address):
                    while True:
                        await lite.refresh_head()
                        proven = await lite.get_account(address)
                        truth = chain.state(address)
                        if (proven.last_tx_lt, proven.balance) == (truth.last_tx_lt, truth.balance):
                            break
                        await trio.sleep(0.1)
                    assert proven.data_boc == truth.data_boc


async def test_model_list_shows_the_workers():
    async with open_network(cfg(workers=2, worker_coefficients=(1500, 1000))) as net:
        answer = await net.clients[0].node.links[0].get_models()
        (model,) = answer.types
        assert model.name == "Qwen/Qwen3-8B"
        assert [w.coefficient for w in model.workers] == [1000, 1500]


async def test_price_limit_and_unknown_model_are_refused():
    async with open_network(cfg(worker_coefficients=(5000,))) as net:
        node = net.clients[0].node
        out = await run_request(node, chat_body(max_coefficient=4000))
        assert (
            out.failed.code == 651
            and out.failed.message == "can run this query with coefficient=5000"
        )
        out = await run_request(node, chat_body(model="no/such-model"))
        assert out.failed.code == 621 and "unknown model" in out.failed.message


async def test_worker_dying_mid_stream_fails_the_request_and_bills_nothing_undelivered():
    async with open_network(cfg(inference=FakeInferenceConfig(token_delay=0.05))) as net:
        node = net.clients[0].node
        proxy = net.proxies[0].node
        outcome = {}

        async def ask() -> None:
            outcome["out"] = await run_request(node, chat_body(stream=True, max_tokens=100))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(ask)
            await eventually(lambda: net.backends[0].stats.active == 1)
            await trio.sleep(0.2)
            await net.worker_slots[0].stop()
        out = outcome["out"]
        assert out.head is not None and out.failed is not None
        assert out.failed.code == 651 and "worker disconnected" in out.failed.message
        acc = next(iter(proxy.clients.values()))
        assert acc.tokens.tokens_max == 0 and acc.reserved == 0 and acc.running == 0


async def test_request_to_a_vanished_worker_is_retried_on_another():
    slow = FakeInferenceConfig(first_token_delay=1.0)
    async with open_network(cfg(workers=2, inference=slow)) as net:
        node = net.clients[0].node
        outcome = {}

        async def ask() -> None:
            outcome["out"] = await run_request(node, chat_body())

        async with trio.open_nursery() as nursery:
            nursery.start_soon(ask)
            await eventually(lambda: any(b.stats.active for b in net.backends))
            busy = next(i for i, b in enumerate(net.backends) if b.stats.active)
            await net.worker_slots[busy].stop()
        out = outcome["out"]
        assert out.failed is None and out.done is not None, out.failed
        assert net.backends[1 - busy].stats.completed == 1


async def test_hanging_worker_times_out_and_frees_its_slot():
    async with open_network(cfg(inference=FakeInferenceConfig(fail_mode="hang"))) as net:
        node = net.clients[0].node
        out = await run_request(node, chat_body(), request_timeout=2.0)
        assert out.failed is not None and out.failed.code == 652
        proxy = net.proxies[0].node
        worker = net.workers[0].node
        await eventually(lambda: worker.ctx.active == 0)
        assert all(c.running == 0 for c in proxy.registry.connections.values())
        assert next(iter(proxy.clients.values())).reserved == 0


async def test_inference_server_errors_are_passed_through_or_reported():
    async with open_network(cfg(inference=FakeInferenceConfig(fail_mode="error"))) as net:
        out = await run_request(net.clients[0].node, chat_body())
        assert (
            out.failed is None and out.head.response.status_code == 500
        )  # the server's own answer
    async with open_network(cfg(inference=FakeInferenceConfig(fail_mode="garbage"))) as net:
        out = await run_request(net.clients[0].node, chat_body())
        # A 200 whose body is not JSON is still the server's answer: delivered, billed nothing.
        assert out.failed is None and out.head.response.status_code == 200 and out.done.tokens == 0
        assert out.body and not out.body.lstrip().startswith(b"{")
    async with open_network(
        cfg(inference=FakeInferenceConfig(fail_mode="close", token_delay=0.01))
    ) as net:
        out = await run_request(net.clients[0].node, chat_body(stream=True, max_tokens=20))
        assert out.head is not None and out.failed is not None
        assert out.failed.message.startswith("worker: failed to get payload")


async def test_client_leaving_mid_stream_cancels_the_inference():
    async with open_network(cfg(inference=FakeInferenceConfig(token_delay=0.05))) as net:
        out = await run_request(
            net.clients[0].node, chat_body(stream=True, max_tokens=200), stop_after_chunks=2
        )
        assert out.done is None
        backend = net.backends[0]
        await eventually(lambda: backend.stats.cancelled == 1, within=5)
        assert backend.stats.completed == 0
        proxy = net.proxies[0].node
        acc = next(iter(proxy.clients.values()))
        await eventually(lambda: acc.running == 0 and acc.reserved == 0)


async def test_proxy_restart_loses_and_doubles_nothing():
    async with open_network(cfg(min_client_charge=1, min_worker_payout=1)) as net:
        client = net.clients[0].node
        before = 0
        for _ in range(3):
            before += (await run_request(client, chat_body(max_tokens=10))).done.tokens
        old = net.proxies[0].node
        await eventually(
            lambda: next(iter(old.clients.values())).tokens.sc_tokens == before, within=15
        )
        await net.proxy_slots[0].restart()
        proxy = net.proxies[0].node
        acc = next(iter(proxy.clients.values()))
        assert acc.tokens.tokens_max == before  # from the database
        await net.wait_ready()
        after = before + (await run_request(client, chat_body(max_tokens=10))).done.tokens
        assert acc.tokens.tokens_max == after
        await eventually(lambda: acc.tokens.sc_tokens == after, within=15)
        client_sc = await read_contract(net.ledger, acc.sc_address, "client")
        assert client_sc.tokens_used == after  # the ledger and the database agree
        assert proxy.failure is None


async def test_worker_claiming_more_than_the_proxy_recorded_is_refused():
    async with open_network(cfg()) as net:
        worker = net.workers[0].node
        link = worker.all_links[0]
        earnings = link.earnings
        earnings.db_tokens = 10**9  # as if this proxy had promised that much before
        link.session.close("test: reconnect")
        await eventually(
            lambda: link.last_error is not None and "claims" in link.last_error, within=10
        )
        proxy = net.proxies[0].node
        assert not any(c.enabled for c in proxy.registry.connections.values())


async def test_the_reference_deployment_with_routers():
    """Proxy behind reverse routers (plain listeners, preamble), worker and client through
    SOCKS5 routers: the same requests work, and the proxy learns the peers from preambles."""
    async with open_network(
        cfg(routers=True, inference=FakeInferenceConfig(token_delay=0.01))
    ) as net:
        node = net.clients[0].node
        plain = await run_request(node, chat_body(max_tokens=4))
        streamed = await run_request(node, chat_body(stream=True, max_tokens=6))
        assert plain.done is not None and streamed.done is not None
        assert len(streamed.chunks) > 1
        proxy = net.proxies[0].node
        (conn,) = proxy.registry.connections.values()
        assert conn.image_hash == FAKE_IMAGE_HASH  # from the reverse router's preamble
        assert net.workers[0].node.all_links[0].peer.image_hash == FAKE_IMAGE_HASH


async def test_worker_controls_reach_the_proxy():
    """The worker's /request/disable, /enable and /change_coefficient take effect at the proxy."""
    import httpx

    async with open_network(cfg()) as net:
        worker = net.workers[0]
        proxy = net.proxies[0].node
        (conn,) = proxy.registry.connections.values()
        token = {"X-Access-Hash": worker.web.access_hash}
        async with httpx.AsyncClient(base_url=worker.web.url, headers=token) as http:
            assert (await http.post("/request/disable")).status_code == 200
            await eventually(lambda: not conn.enabled)
            out = await run_request(net.clients[0].node, chat_body())
            assert out.failed is not None and out.failed.code == 651
            assert (await http.post("/request/enable")).status_code == 200
            await eventually(lambda: conn.enabled)
            r = await http.post("/request/change_coefficient", data={"coefficient": "1.5"})
            assert "coefficient set to 1.5" in r.text
            await eventually(lambda: conn.coefficient == 1500)
            out = await run_request(net.clients[0].node, chat_body(max_tokens=10))
            assert out.done is not None
            assert out.done.final.tokens_used.completion_tokens_used == 15  # 10 tokens x 1.5
            bad = await http.post("/request/change_coefficient", data={"coefficient": "lots"})
            assert bad.status_code == 400
            stats = (await http.get("/jsonstats")).json()
            assert stats["localconfig"]["coefficient"] == 1500 and stats["status"]["enabled"]


async def test_a_restored_database_is_detected_and_the_proxy_stops_signing(tmp_path):
    """Rollback detection (spec 30 section 11.2): a database copied before later state commits
    no longer matches the chain; the proxy refuses to serve instead of trusting it."""
    import shutil

    async with open_network(cfg(data_dir=tmp_path)) as net:
        slot = net.proxy_slots[0]
        await run_request(net.clients[0].node, chat_body())
        await slot.stop()
        db = tmp_path / "proxy0.sqlite"
        for suffix in ("", "-wal", "-shm"):
            if (tmp_path / f"proxy0.sqlite{suffix}").exists():
                shutil.copy(
                    tmp_path / f"proxy0.sqlite{suffix}", tmp_path / f"backup.sqlite{suffix}"
                )
        await slot.start()  # a new run anchors a new state commit on chain
        await run_request(net.clients[0].node, chat_body())
        await slot.stop()
        for suffix in ("", "-wal", "-shm"):  # the operator restores the old backup
            target = tmp_path / f"proxy0.sqlite{suffix}"
            target.unlink(missing_ok=True)
            if (tmp_path / f"backup.sqlite{suffix}").exists():
                shutil.copy(tmp_path / f"backup.sqlite{suffix}", target)
        assert db.exists()
        with trio.fail_after(10):
            handle = await slot.start()
        assert handle.node.failure is not None and "did not write" in handle.node.failure
        assert handle.workers_port == handle.clients_port == 0  # nothing listens
        assert not handle.node.serving


async def test_caught_up_shows_a_governance_change_to_every_roles_liteservers():
    """A change made behind the roles' backs (`govern`) reaches each role's LiteLedger once a
    block holds it: `caught_up` waits for that, so a test can then ask a role to act on it."""
    async with open_network(cfg(ledger="lite")) as net:
        ledgers = net.lite.ledgers
        assert set(ledgers) == {"proxy0", "worker0", "client0"}
        before = (await read_contract(net.ledger, net.root, "root")).params_version
        net.govern(RootChangePrice(query_id=1, price_per_token=3, worker_fee_per_token=2))
        await net.caught_up()
        for ledger in ledgers.values():
            root = await read_contract(ledger, net.root, "root")
            assert (root.params_version, root.params.price_per_token) == (before + 1, 3)


@LEDGERS
async def test_a_worker_cashes_out_itself_when_its_proxy_does_not_pay(ledger):
    config = cfg(
        min_client_charge=1,
        min_worker_payout=10**15,  # this proxy never pays on its own
        worker_options={"self_payout_interval": 0.3, "min_self_payout": 1},
        ledger=ledger,
    )
    async with open_network(config) as net:
        total = (await run_request(net.clients[0].node, chat_body(max_tokens=10))).done.tokens
        earnings = next(iter(net.workers[0].node.earnings.by_proxy.values()))
        await eventually(lambda: earnings.chain_tokens == total, within=10)
        await eventually(lambda: earnings.paid_out == total, within=10)
        worker_sc = await read_contract(net.ledger, earnings.worker_sc, "worker")
        assert worker_sc.tokens == total
        owner = await net.ledger.get_account(net.workers[0].node.owner)
        assert owner.balance == total  # worker fee 1 nano per token
        proxy = net.proxies[0].node
        wacc = next(iter(proxy.workers.values()))
        await eventually(lambda: wacc.tokens.sc_tokens == total)  # the proxy saw it settle


async def test_a_restarted_worker_shows_what_its_contract_was_paid_at_once():
    """`paid_out` (`cached_out_tokens` in /jsonstats) was read only at the first self-payout
    tick, an interval after start: a restarted worker showed 0 for a paid contract."""
    config = cfg(
        min_client_charge=1,
        min_worker_payout=10**15,
        worker_options={"self_payout_interval": 0.3, "min_self_payout": 1},
    )
    async with open_network(config) as net:
        total = (await run_request(net.clients[0].node, chat_body(max_tokens=10))).done.tokens
        earnings = next(iter(net.workers[0].node.earnings.by_proxy.values()))
        await eventually(lambda: earnings.paid_out == total, within=10)
        slot = net.worker_slots[0]
        slot.config = attrs.evolve(slot.config, self_payout_interval=3600.0)
        await slot.restart()
        again = net.workers[0].node.earnings.by_proxy[earnings.proxy_sc]
        await eventually(lambda: again.paid_out == total, within=5)
