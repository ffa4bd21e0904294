"""A change of the root's params (a new price) while the network runs, or while the proxy is
down (spec 30 sections 10.5-10.6): the proxy moves to a new contract, clients and workers
follow it, and the old contract is closed with every client refunded and every worker paid."""

from __future__ import annotations

import pytest
import trio

from cocoon.network import NetworkConfig, open_network
from cocoon.roles.proxy.node import ProxyNode
from cocoon.roles.proxy.store import RETIRED_PREFIX
from cocoon.roles.proxy.web import jsonstats, stats_page
from cocoon.ton.bodies import (
    ClientProxyRefundForce,
    ClientProxyRequest,
    RootChangePrice,
    parse_body,
)
from cocoon.ton.constants import ONE_TON, Op
from cocoon.ton.errors import LedgerError
from cocoon.ton.ledger import read_contract

from .netutil import chat_body, eventually, run_request

pytestmark = pytest.mark.e2e

CLOSED = 2


def cfg() -> NetworkConfig:
    # Short close delays: the old proxy contract may complete its close 3 s after the request.
    return NetworkConfig(
        client_http=False,
        min_client_charge=1,
        min_worker_payout=1,
        root_params={"proxy_delay_before_close": 2, "client_delay_before_close": 0},
    )


async def _request_until_served(client, within: float = 30.0):
    """Clients and workers reconnect after the move: retry until a request goes through."""
    with trio.fail_after(within):
        while True:
            out = await run_request(client, chat_body(max_tokens=10))
            if out.failed is None:
                return out
            await trio.sleep(0.2)


async def _old_contracts_closed(net, old_proxy, old_client, old_worker, tokens: int) -> None:
    ledger = net.ledger

    async def state(address, kind):
        return await read_contract(ledger, address, kind)

    with trio.fail_after(30):
        while (await state(old_proxy, "proxy")).state != CLOSED:  # noqa: ASYNC110 - chain state
            await trio.sleep(0.1)
    client_sc = await state(old_client, "client")
    assert client_sc.state == CLOSED and client_sc.balance == 0  # refunded to the client
    assert client_sc.tokens_used == tokens  # charged for exactly what it used
    worker_sc = await state(old_worker, "worker")
    assert worker_sc.state == CLOSED and worker_sc.tokens == tokens  # paid its last payout
    proxy = net.proxies[0].node
    await eventually(lambda: not proxy.retired)
    assert not (await trio.to_thread.run_sync(proxy.store.load)).retired  # record deleted
    # Nothing created or lost (`total()` counts the fees the chain collected), and real fees
    # were paid: the network runs on mainnet's prices.
    chain = net.chain
    assert chain.total() == chain.minted and chain.fees_collected > 0


async def test_a_price_change_moves_the_proxy_to_a_new_contract_and_closes_the_old():
    async with open_network(cfg()) as net:
        client = net.clients[0].node
        proxy = net.proxies[0].node
        used = 0
        for _ in range(2):
            used += (await run_request(client, chat_body(max_tokens=10))).done.tokens
        old_proxy = proxy.sc_address
        old_client = next(iter(proxy.clients.values())).sc_address
        old_worker = next(iter(proxy.workers.values())).sc_address
        version = proxy.contract.params.params_version

        net.govern(RootChangePrice(query_id=1, price_per_token=3, worker_fee_per_token=2))
        await eventually(
            lambda: proxy.contract.params.params_version == version + 1 and proxy.serving,
            within=20,
        )
        assert proxy.sc_address != old_proxy
        # The old contract is being closed (or is closed already); the pages say so.
        retired = [inst.contract.address for inst in proxy.retired.values()]
        assert retired in ([old_proxy], [])
        listed = [r["address"] for r in jsonstats(proxy)["retired_contracts"]]
        assert listed == [a.to_str() for a in retired]
        assert "cocoon proxy" in stats_page(proxy)

        out = await _request_until_served(client)
        usage = out.usage()
        assert usage["total_cost"] == usage["cocoon_adjusted_tokens"] * 3  # the new price
        acc = next(iter(proxy.clients.values()))
        assert acc.sc_address != old_client and acc.tokens.tokens_max == out.done.tokens
        assert len(client.channels) == 2  # the old channel (being closed) and the new one
        await _old_contracts_closed(net, old_proxy, old_client, old_worker, used)
        # Receipts on the new contract started from zero, not from the old one's.
        await eventually(lambda: client.links[0].max_tokens == out.done.tokens)


async def test_a_price_change_while_the_proxy_is_down_retires_its_records_at_start():
    async with open_network(cfg()) as net:
        client = net.clients[0].node
        used = (await run_request(client, chat_body(max_tokens=10))).done.tokens
        proxy = net.proxies[0].node
        old_proxy = proxy.sc_address
        old_client = next(iter(proxy.clients.values())).sc_address
        old_worker = next(iter(proxy.workers.values())).sc_address
        await net.proxy_slots[0].stop()

        net.govern(RootChangePrice(query_id=1, price_per_token=3, worker_fee_per_token=2))
        await net.caught_up()  # the proxy's ledger shows the new params (on liteservers too)
        await net.proxy_slots[0].start()
        proxy = net.proxies[0].node
        assert proxy.sc_address != old_proxy
        # The old records were not carried over to the new contract (they would be charged
        # again there): the new contract owes and is owed nothing yet.
        assert not proxy.clients and not proxy.workers
        out = await _request_until_served(client)
        assert out.usage()["total_cost"] == out.usage()["cocoon_adjusted_tokens"] * 3
        await _old_contracts_closed(net, old_proxy, old_client, old_worker, used)


async def test_a_client_closes_its_old_channel_itself_when_the_proxy_does_not():
    async with open_network(cfg()) as net:
        client = net.clients[0].node
        used = (await run_request(client, chat_body(max_tokens=10))).done.tokens
        (channel,) = client.channels.values()
        await eventually(
            lambda: channel.storage is not None and channel.storage.tokens_used == used, within=15
        )
        paid_in = channel.storage.balance
        old_proxy = net.proxies[0].node.sc_address
        await net.proxy_slots[0].stop()  # and it stays down: nobody grants the refund

        net.govern(RootChangePrice(query_id=1, price_per_token=3, worker_fee_per_token=2))
        await net.caught_up()  # the client's ledger shows the new params (on liteservers too)
        assert await client.root.refresh_now()  # the client sees the new params
        assert channel.retired
        with trio.fail_after(30):
            while channel.storage is None or channel.storage.state != CLOSED:  # noqa: ASYNC110 - chain state
                await trio.sleep(0.1)
        assert channel.storage.balance == 0
        # The client contract asked its old proxy contract to refund the whole unused balance
        # (refund_force, carrying the client contract's gas money, mode 128)...
        wallet = client.wallet.address
        txs = await net.ledger.get_transactions(channel.address, after_lt=0)
        forced = [
            (m, body)
            for t in txs
            for m in t.out_msgs
            if m.dest == old_proxy
            and isinstance(body := parse_body(m.body, "proxy"), ClientProxyRequest)
            and isinstance(body.payload, ClientProxyRefundForce)
        ]
        ((request, body),) = forced
        assert body.payload.coins == paid_in > 0
        # ...which pays it out of the proxy's stake, min(coins, stake) (spec 30 section 4.2:
        # this proxy never staked, so 0), and returns the rest of the value to the wallet.
        stake = (await read_contract(net.ledger, old_proxy, "proxy")).stake
        (answer,) = [
            t
            for t in await net.ledger.get_transactions(old_proxy, after_lt=0)
            if t.in_msg is not None and t.in_msg.body_hash == request.body_hash
        ]
        to_wallet = [m for m in answer.out_msgs if m.dest == wallet]
        payouts = [m.value for m in to_wallet if m.op == Op.PAYOUT]
        excesses = [m.value for m in to_wallet if m.op == Op.EXCESSES]
        assert stake == 0 and payouts == [min(paid_in, stake)]
        # The excess is the request's value less what the proxy contract's transaction paid in
        # fees (gas and forwarding, under 0.01 TON at mainnet prices; its storage fee comes
        # out of the proxy's own balance, hence the range).
        (excess,) = excesses
        assert request.value - answer.fees <= excess + sum(payouts) < request.value
        assert 0 < answer.fees < ONE_TON // 100


async def test_a_second_params_change_during_the_move_is_followed_too():
    """The root changes again while the proxy is still moving to the first new contract:
    the proxy must end on the contract of the newest params, not stay on the one between."""
    async with open_network(cfg()) as net:
        client = net.clients[0].node
        proxy = net.proxies[0].node
        await run_request(client, chat_body(max_tokens=10))
        version = proxy.contract.params.params_version
        deploy = proxy.deploy

        async def deploy_after_a_second_change():
            if proxy.contract.params.params_version == version + 1:
                net.govern(RootChangePrice(query_id=2, price_per_token=4, worker_fee_per_token=2))
                assert await proxy.root.refresh_now()  # the proxy sees it mid-move
            await deploy()

        proxy.deploy = deploy_after_a_second_change
        net.govern(RootChangePrice(query_id=1, price_per_token=3, worker_fee_per_token=2))
        await eventually(
            lambda: proxy.contract.params.params_version == version + 2 and proxy.serving,
            within=20,
        )
        out = await _request_until_served(client)
        assert out.usage()["total_cost"] == out.usage()["cocoon_adjusted_tokens"] * 4
        # Both old contracts are closed.
        await eventually(lambda: not proxy.retired, within=30)


async def test_the_proxy_does_not_serve_again_on_the_contract_it_is_leaving():
    """While running requests drain, no state commit may go to the old contract and turn
    serving back on there (before: the database loop committed, as the proxy looked
    uninitialised, and the commit's sighting set it initialised on the old contract)."""
    async with open_network(cfg()) as net:
        proxy = net.proxies[0].node
        old = proxy.contract
        proxy.requests[b"held"] = object()  # a request that does not end: the drain waits
        net.govern(RootChangePrice(query_id=1, price_per_token=3, worker_fee_per_token=2))
        await eventually(lambda: proxy.moving, within=20)
        with trio.move_on_after(3):  # several database writes and chain polls meanwhile
            await eventually(lambda: proxy.serving, within=10)
        assert proxy.contract is old and not proxy.serving
        del proxy.requests[b"held"]
        await eventually(lambda: proxy.contract is not old and proxy.serving, within=20)


async def test_a_chain_error_while_deploying_the_new_contract_is_retried():
    """The ledger fails the new contract's deployment once: the proxy tries again instead of
    stopping (its records are already retired, the old contract is being closed)."""
    async with open_network(cfg()) as net:
        client = net.clients[0].node
        proxy = net.proxies[0].node
        await run_request(client, chat_body(max_tokens=10))
        version = proxy.contract.params.params_version
        send = proxy.wallet.send
        failed = []

        async def send_failing_the_deploy_once(*transfers):
            new = proxy.contract.address
            if not failed and any(t.dest == new and t.state_init is not None for t in transfers):
                failed.append(new)
                raise LedgerError("the ledger is unreachable")
            return await send(*transfers)

        proxy.wallet.send = send_failing_the_deploy_once
        net.govern(RootChangePrice(query_id=1, price_per_token=3, worker_fee_per_token=2))
        await eventually(
            lambda: proxy.contract.params.params_version == version + 1 and proxy.serving,
            within=30,
        )
        assert failed
        await _request_until_served(client)


async def test_a_params_change_before_the_first_commit_is_seen_does_not_hang_the_start(
    monkeypatch,
):
    """The root's params change while a starting proxy still waits for its first state
    commit: it moves to the new contract and starts serving once a commit on it is seen."""
    async with open_network(cfg()) as net:
        client = net.clients[0].node
        await run_request(client, chat_body(max_tokens=10))
        version = net.proxies[0].node.contract.params.params_version
        slot = net.proxy_slots[0]
        await slot.stop()
        starting = []
        on_commit = ProxyNode._on_commit

        def on_commit_once_moved(node, seqno, session_hash):
            starting.append(node)
            if node.contract.params.params_version > version:  # a slow chain until then
                on_commit(node, seqno, session_hash)

        monkeypatch.setattr(ProxyNode, "_on_commit", on_commit_once_moved)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(slot.start)
            await eventually(lambda: starting)
            proxy = starting[0]
            net.govern(RootChangePrice(query_id=1, price_per_token=3, worker_fee_per_token=2))
            assert await proxy.root.refresh_now()
            with trio.fail_after(20):
                while slot.handle is None:  # noqa: ASYNC110 - the slot starts in the nursery
                    await trio.sleep(0.05)
        assert proxy.contract.params.params_version == version + 1 and proxy.serving
        await _request_until_served(client)


@pytest.mark.parametrize(
    "stopped_after",
    [
        pytest.param({"stage": 2, "clients": 1}, id="close-request"),
        pytest.param({"stage": 2, "clients": 0}, id="client-refund"),
        pytest.param({"stage": 3, "workers": 0}, id="worker-payout"),
    ],
)
async def test_a_proxy_stopped_between_a_closing_step_and_its_record_repeats_it_safely(
    monkeypatch, stopped_after
):
    """The proxy stops after a step of an old contract's close was sent and before its record
    was written: after the restart it sends that step again, and nobody is paid twice."""
    async with open_network(cfg()) as net:
        client = net.clients[0].node
        proxy = net.proxies[0].node
        used = (await run_request(client, chat_body(max_tokens=10))).done.tokens
        old_proxy = proxy.sc_address
        old_client = next(iter(proxy.clients.values())).sc_address
        old_worker = next(iter(proxy.workers.values())).sc_address
        write_records = ProxyNode.write_records
        blocked = trio.Event()

        async def write_records_until_the_step(node, records):
            for key, record in records.items():
                if key.startswith(RETIRED_PREFIX) and record is not None and not blocked.is_set():
                    progress = {k: len(v) if isinstance(v, list) else v for k, v in record.items()}
                    if stopped_after.items() <= progress.items():
                        blocked.set()
                        await trio.sleep_forever()  # the process dies before this write
            await write_records(node, records)

        monkeypatch.setattr(ProxyNode, "write_records", write_records_until_the_step)
        net.govern(RootChangePrice(query_id=1, price_per_token=3, worker_fee_per_token=2))
        assert await proxy.root.refresh_now()
        with trio.fail_after(20):
            await blocked.wait()
        await net.proxy_slots[0].restart()
        assert [i.contract.address for i in net.proxies[0].node.retired.values()] == [old_proxy]
        await _old_contracts_closed(net, old_proxy, old_client, old_worker, used)
