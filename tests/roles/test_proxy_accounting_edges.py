"""The proxy's accounting edges in a one-process network (issues 3 and 4): a request whose
`max_tokens` is out of range is refused before any arithmetic, and a refused request always
gives back its place in the client's `running` count."""

from __future__ import annotations

from contextlib import asynccontextmanager

import attrs
import pytest
import trio

from cocoon import tl
from cocoon.net import QueryError, Role, open_session
from cocoon.network import NetworkConfig, open_network
from cocoon.ratls.policy import builtin_policies
from cocoon.ratls.refresh import IdentityHolder
from cocoon.roles.client.events import Done
from cocoon.roles.common.errors import OutOfRangeError
from cocoon.roles.common.transport import Dialer
from cocoon.roles.proxy.clients import ClientSession
from cocoon.roles.proxy.workers import WorkerSession

from .netutil import answered, chat_body, eventually, parsed_request

pytestmark = pytest.mark.e2e


async def send(node, *, max_tokens: int | None = None, max_coefficient: int | None = None):
    """One request through the client's core with the options the proxy sees overridden:
    the TL fields `client.runQueryEx` carries (a hostile or buggy client's values)."""
    options, request = parsed_request(chat_body(max_tokens=4))
    if max_tokens is not None:
        options = attrs.evolve(options, max_tokens=max_tokens)
    if max_coefficient is not None:
        options = attrs.evolve(options, max_coefficient=max_coefficient)
    events = []
    async with node.request(options, request) as stream:
        async for event in stream:
            events.append(event)
    return events[-1]


def client_account(net):
    proxy = net.proxies[0].node
    (acc,) = proxy.clients.values()
    return proxy, acc


@pytest.mark.parametrize("max_tokens", [-(2**31), -1])
async def test_negative_max_tokens_is_refused_and_reserves_nothing(max_tokens):
    async with open_network(NetworkConfig(client_http=False)) as net:
        node = net.clients[0].node
        await answered(node)
        proxy, acc = client_account(net)
        reserved_before = acc.reserved

        last = await send(node, max_tokens=max_tokens)
        assert last.code == 621, last
        assert "max_tokens" in last.message and "out of range" in last.message
        assert reserved_before == 0
        await eventually(lambda: acc.reserved == 0 and acc.running == 0)
        # No worker saw it, nothing was billed, and the connection still serves.
        assert not proxy.requests
        await answered(node)


async def test_max_tokens_0_is_served_as_the_reference_client_sends_it():
    """A caller's `max_tokens: 0` reaches the proxy as it is from a reference client (spec 40
    section 2.3): a valid request, whose reservation covers the query's bytes."""
    async with open_network(NetworkConfig(client_http=False)) as net:
        node = net.clients[0].node
        await answered(node)
        last = await send(node, max_tokens=0)
        assert isinstance(last, Done), last


async def test_a_negative_reservation_cannot_lift_the_balance_check():
    """The issue's sequence: a request for 2^31-1 tokens is refused for the balance, alone
    and after a negative one (which, accepted, made the proxy's reservation negative)."""
    async with open_network(NetworkConfig(client_http=False)) as net:
        node = net.clients[0].node
        await answered(node)
        _, acc = client_account(net)
        alone = await send(node, max_tokens=2**31 - 1)
        assert alone.code == 602 and "balance is too low" in alone.message
        assert (await send(node, max_tokens=-(2**31))).code == 621
        after = await send(node, max_tokens=2**31 - 1)
        assert after.code == 602 and "balance is too low" in after.message
        await eventually(lambda: acc.reserved == 0 and acc.running == 0)


async def test_requests_refused_for_their_coefficient_release_running():
    async with open_network(NetworkConfig(client_http=False, worker_coefficients=(1000,))) as net:
        node = net.clients[0].node
        await answered(node)
        proxy, acc = client_account(net)
        proxy.config = attrs.evolve(proxy.config, max_requests_per_client=1)
        for max_coefficient in (0, 1, 999):  # each below the only worker's 1000
            last = await send(node, max_coefficient=max_coefficient)
            assert last.code == 651 and "coefficient=1000" in last.message, last
            await eventually(lambda: acc.running == 0 and acc.reserved == 0)
        await answered(node)  # the cap of one running request does not lock the client out
        await eventually(lambda: acc.running == 0)


# ---------------------------------------------------------------- workers (raw TL peers)

OWNER = "UQAuz15H1ZHrZ_psVrAra7HealMIVeFq0wguqlmFno1f3B-m"


class RawWorker:
    """A worker speaking TL by hand: collects what the proxy sends it."""

    def __init__(self) -> None:
        self.send, self.received = trio.open_memory_channel(100)

    async def on_query(self, session, query):
        raise QueryError(0, "Lost promise")

    async def on_packet(self, session, packet):
        self.send.send_nowait(packet)


@asynccontextmanager
async def raw_worker(net, handler=None):
    dialer = Dialer(
        identity=IdentityHolder.generated("fake_tdx"), policy=builtin_policies()["fake_tdx"]
    )
    stream, _ = await dialer.dial("127.0.0.1", net.proxies[0].workers_port)
    async with open_session(stream, role=Role.DIALER, handler=handler) as session:
        params = tl.WorkerParams(
            worker_owner_address=OWNER, model="Qwen/Qwen3-8B", coefficient=1000, is_test=True,
            proxy_cnt=1, max_active_requests=4, min_proto_version=1, max_proto_version=2,
        )  # fmt: skip
        await session.query(tl.WorkerConnectToProxy(params=params), timeout=5)
        yield session


async def handshake(session) -> None:
    await session.query(
        tl.WorkerCompareBalanceWithProxy(
            tokens_committed_to_blockchain=0, tokens_committed_to_db=0, max_tokens=0
        ),
        timeout=5,
    )
    await session.query(tl.WorkerProxyHandshakeComplete(is_disabled=False), timeout=5)


@pytest.mark.parametrize(
    "query",
    [
        tl.WorkerCompareBalanceWithProxy(
            tokens_committed_to_blockchain=-(2**62), tokens_committed_to_db=0, max_tokens=0
        ),
        tl.WorkerCompareBalanceWithProxy(
            tokens_committed_to_blockchain=0, tokens_committed_to_db=0, max_tokens=-1
        ),
    ],
)
async def test_a_worker_claiming_negative_tokens_is_refused(query):
    async with open_network(NetworkConfig(workers=0, client_http=False)) as net:
        async with raw_worker(net) as session:
            with pytest.raises(QueryError) as e:
                await session.query(query, timeout=5)
            assert e.value.code == 621 and "out of range" in e.value.message
            with trio.fail_after(5):
                await session.wait_closed()


async def test_a_worker_coefficient_out_of_range_closes_its_connection():
    async with open_network(NetworkConfig(workers=0, client_http=False)) as net:
        async with raw_worker(net) as session:
            await handshake(session)
            await session.send_packet(tl.WorkerNewCoefficient(new_coefficient=10**9))
            with trio.fail_after(5):
                await session.wait_closed()
        await eventually(lambda: not net.proxies[0].node.worker_sessions)  # forgotten


async def test_negative_tokens_in_a_worker_answer_are_not_billed():
    async with open_network(NetworkConfig(workers=0, client_http=False)) as net:
        node = net.clients[0].node
        proxy = net.proxies[0].node
        worker = RawWorker()
        async with raw_worker(net, worker) as session, trio.open_nursery() as nursery:
            await handshake(session)
            outcome = {}

            async def ask() -> None:
                outcome["last"] = await send(node)

            nursery.start_soon(ask)
            with trio.fail_after(10):
                query = await worker.received.receive()
            assert isinstance(query, tl.ProxyRunQueryEx)
            bad = tl.TokensUsed(
                prompt_tokens_used=0,
                cached_tokens_used=0,
                completion_tokens_used=0,
                reasoning_tokens_used=0,
                total_tokens_used=-(2**40),
            )
            await session.send_packet(
                tl.ProxyQueryAnswerErrorEx(
                    request_id=query.request_id,
                    error_code=500,
                    error="x",
                    flags=1,
                    final_info=tl.ProxyQueryFinalInfo(tokens_used=bad),
                )
            )
            with trio.fail_after(5):
                await session.wait_closed()
        assert outcome["last"].code == 651 and "worker disconnected" in outcome["last"].message
        _, acc = client_account(net)
        await eventually(lambda: acc.reserved == 0 and acc.running == 0)
        assert acc.tokens.tokens_max == 0
        assert proxy.serving  # the proxy carries on
        assert all(w.tokens.tokens_max == 0 for w in proxy.workers.values())


# ---------------------------------------------------------------- what workers and clients take


async def test_workers_and_clients_refuse_out_of_range_figures_from_the_proxy():
    async with open_network(NetworkConfig(client_http=False)) as net:
        client = net.clients[0].node
        await answered(client)
        link = client.links[0]
        before = (link.db_tokens, link.max_tokens, link.signed_tokens)
        for fields in ({"max_tokens": 2**62}, {"db_tokens": -1}, {"request_tokens": -5}):
            receipt = tl.ProxyClientRequestPayment(
                request_id=bytes(32),
                signed_payment=tl.ProxySignedPaymentEmpty(),
                **({"db_tokens": 0, "max_tokens": 0, "request_tokens": 0} | fields),
            )
            with pytest.raises(OutOfRangeError):  # the session closes on it
                await link.on_packet(link.session, receipt)
        assert (link.db_tokens, link.max_tokens, link.signed_tokens) == before

        wlink = net.workers[0].node.all_links[0]
        earnings = wlink.earnings
        before = (earnings.db_tokens, earnings.max_tokens)
        with pytest.raises(OutOfRangeError):
            await wlink.on_packet(
                wlink.session,
                tl.ProxyWorkerRequestPayment(
                    request_id=bytes(32),
                    signed_payment=tl.ProxySignedPaymentEmpty(),
                    db_tokens=0,
                    max_tokens=2**62,
                    request_tokens=0,
                    request_client_owner=OWNER,
                ),
            )
        with pytest.raises(OutOfRangeError):
            await wlink.on_packet(
                wlink.session,
                tl.ProxyRunQueryEx(
                    query=b"",
                    signed_payment=tl.ProxySignedPaymentEmpty(),
                    coefficient=-1000,
                    timeout=1.0,
                    request_id=bytes(32),
                    enable_debug=False,
                ),
            )
        assert (earnings.db_tokens, earnings.max_tokens) == before
        assert not wlink.running  # the query was not started


# ---------------------------------------------------------------- before authorization


@asynccontextmanager
async def raw_client(net):
    dialer = Dialer(identity=IdentityHolder.generated("none"), policy=builtin_policies()["any"])
    stream, _ = await dialer.dial("127.0.0.1", net.proxies[0].clients_port)
    async with open_session(stream, role=Role.DIALER) as session:
        yield session


async def test_a_stranger_claiming_a_clients_owner_gets_no_signed_payment():
    async with open_network(NetworkConfig(client_http=False)) as net:
        client = net.clients[0].node
        await answered(client)
        _, acc = client_account(net)
        await eventually(lambda: acc.tokens.tokens_committed_to_blockchain > 0, within=15)
        async with raw_client(net) as session:
            params = tl.ClientParams(
                client_owner_address=client.wallet_address_text, is_test=True,
                min_proto_version=1, max_proto_version=2,
            )  # fmt: skip
            connected = await session.query(
                tl.ClientConnectToProxy(params=params, min_config_version=0), timeout=5
            )
            # Only what the authorization needs, all of it public on-chain.
            assert isinstance(connected.signed_payment, tl.ProxySignedPaymentEmpty)
            assert connected.client_sc_address  # the client checks it against its own
        # The client itself gets its payment with the authorization's success.
        link = client.links[0]
        link.session.close("test: reconnect")
        await eventually(lambda: not link.ready)
        link.signed = None
        await eventually(lambda: link.ready, within=15)
        assert link.signed_tokens == acc.tokens.tokens_committed_to_blockchain > 0


async def test_handshake_and_status_answers_out_of_range_drop_the_link(monkeypatch):
    async with open_network(NetworkConfig(client_http=False, payment_poll_interval=0.2)) as net:
        client = net.clients[0].node
        await answered(client)
        link = client.links[0]
        wlink = net.workers[0].node.all_links[0]

        def negative(method, **fields):
            def answer(self, *args):
                return attrs.evolve(method(self, *args), **fields)

            return answer

        monkeypatch.setattr(
            ClientSession, "_success", negative(ClientSession._success, max_tokens=-1)
        )
        monkeypatch.setattr(
            WorkerSession, "_compare", negative(WorkerSession._compare, tokens_committed_to_db=-1)
        )
        for one in (link, wlink):
            one.session.close("test: reconnect")
        await eventually(
            lambda: all("out of range" in (one.last_error or "") for one in (link, wlink)),
            within=15,
        )
        assert link.max_tokens >= 0 and wlink.earnings.db_tokens >= 0

        monkeypatch.undo()  # the handshakes pass again; now the payment status is bad
        monkeypatch.setattr(
            ClientSession,
            "_payment_status",
            negative(ClientSession._payment_status, db_tokens=-(2**40)),
        )
        link.last_error = None
        await eventually(lambda: "out of range" in (link.last_error or ""), within=15)
        assert "client.paymentStatus.db_tokens" in link.last_error
        assert link.db_tokens >= 0
