"""The proxy's handshakes against raw TL peers: every check of spec 10 section 6 in order,
each failure answered with the reference's code and text and the connection closed."""

from __future__ import annotations

import secrets
from contextlib import asynccontextmanager

import pytest
import trio
from pytoniq_core import Address

from cocoon import tl
from cocoon.net import QueryError, Role, open_session
from cocoon.network import NetworkConfig, open_network
from cocoon.ratls.policy import builtin_policies
from cocoon.ratls.refresh import IdentityHolder
from cocoon.roles.common.transport import Dialer
from cocoon.ton import flows
from cocoon.ton.cells import friendly
from cocoon.ton.constants import ONE_TON

pytestmark = pytest.mark.e2e

OWNER = "UQAuz15H1ZHrZ_psVrAra7HealMIVeFq0wguqlmFno1f3B-m"


@pytest.fixture
async def net():
    async with open_network(NetworkConfig(workers=0, client_http=False)) as network:
        yield network


@asynccontextmanager
async def raw_session(net, kind: str):
    proxy = net.proxies[0]
    port = proxy.workers_port if kind == "worker" else proxy.clients_port
    dialer = Dialer(
        identity=IdentityHolder.generated("fake_tdx"), policy=builtin_policies()["fake_tdx"]
    )
    stream, _ = await dialer.dial("127.0.0.1", port)
    async with open_session(stream, role=Role.DIALER) as session:
        yield session


async def connect_and_register(net, session) -> tuple[Address, tl.ClientConnectedToProxy]:
    """A new client owner (funded) connects over `session`, is offered long auth, and deploys
    its client contract and sends `register(nonce)` by hand: the owner and the proxy's answer."""
    node = net.proxies[0].node
    owner = Address((0, secrets.token_bytes(32)))
    net.chain.create_user(owner, 100 * ONE_TON)
    params = tl.ClientParams(
        flags=3, client_owner_address=friendly(owner), is_test=True,
        min_proto_version=1, max_proto_version=2,
    )  # fmt: skip
    connected = await session.query(
        tl.ClientConnectToProxy(params=params, min_config_version=0), timeout=10
    )
    assert isinstance(connected.auth, tl.ClientProxyConnectionAuthLong)
    client = node.contract.client(owner)
    for transfer in (
        flows.deploy(client),
        flows.client_register(client.address, connected.auth.nonce, owner),
    ):
        net.chain.send_from_user(
            owner, transfer.dest, transfer.value, transfer.body,
            bounce=transfer.state_init is None, state_init=transfer.state_init,
        )  # fmt: skip
    return owner, connected


def worker_params(**changes: object) -> tl.WorkerParams:
    base = {
        "worker_owner_address": OWNER, "model": "Qwen/Qwen3-8B", "coefficient": 1000, "is_test": True,
        "proxy_cnt": 1, "max_active_requests": 4, "min_proto_version": 1, "max_proto_version": 2,
    }  # fmt: skip
    return tl.WorkerParams(**(base | changes))


@pytest.mark.parametrize(
    ("params", "code", "text"),
    [
        (
            worker_params(flags=2, is_test=None, proxy_cnt=None, max_active_requests=None),
            602,
            "too old worker",
        ),
        (worker_params(is_test=False), 602, "test mode mismatch"),
        (worker_params(model=""), 621, "invalid worker hash or worker type"),
        (worker_params(coefficient=10**9), 621, "invalid coefficient value"),
        (worker_params(max_active_requests=0), 621, "invalid worker capacity"),
        (
            worker_params(min_proto_version=3, max_proto_version=4),
            621,
            "cannot choose common protocol version",
        ),
    ],
)
async def test_bad_worker_params_are_refused_and_the_connection_closed(net, params, code, text):
    async with raw_session(net, "worker") as session:
        with pytest.raises(QueryError) as e:
            await session.query(tl.WorkerConnectToProxy(params=params), timeout=5)
        assert (e.value.code, e.value.message) == (code, text)
        with trio.fail_after(5):
            await session.wait_closed()


async def test_worker_handshake_steps_out_of_order(net):
    async with raw_session(net, "worker") as session:
        with pytest.raises(QueryError) as e:
            await session.query(tl.WorkerProxyHandshakeComplete(is_disabled=False), timeout=5)
        assert e.value.code == 0
        with trio.fail_after(5):
            await session.wait_closed()


async def test_a_full_worker_handshake_and_the_fixed_extended_compare(net):
    async with raw_session(net, "worker") as session:
        connected = await session.query(tl.WorkerConnectToProxy(params=worker_params()), timeout=5)
        assert connected.params.flags == 3 and connected.params.proto_version == 2
        result = await session.query(
            tl.WorkerCompareBalanceWithProxy(
                tokens_committed_to_blockchain=0, tokens_committed_to_db=0, max_tokens=5
            ),
            timeout=5,
        )
        assert result.error_code == 1 and isinstance(result.signed_payment, tl.ProxySignedPayment)
        ext = await session.query(
            tl.WorkerExtendedCompareBalanceWithProxy(tokens_committed_to_db=0, other=b""), timeout=5
        )
        assert ext.error_code == 0
        # The reference proxy gets stuck here; ours moves on to the last step.
        done = await session.query(tl.WorkerProxyHandshakeComplete(is_disabled=False), timeout=5)
        assert isinstance(done, tl.WorkerProxyHandshakeCompleted)
        status = await session.query(tl.WorkerUpdatePaymentStatus(), timeout=5)
        assert isinstance(status, tl.WorkerPaymentStatus)
        with pytest.raises(QueryError) as e:
            await session.query(tl.WorkerConnectToProxy(params=worker_params()), timeout=5)
        assert e.value.message == "connection is already ready"


async def test_client_queries_on_the_worker_port_are_refused(net):
    async with raw_session(net, "worker") as session:
        with pytest.raises(QueryError) as e:
            await session.query(tl.ClientGetWorkerTypesV2(), timeout=5)
        assert e.value.code == 621 and "non client connection" in e.value.message


def client_params(**changes: object) -> tl.ClientParams:
    base = {
        "client_owner_address": OWNER,
        "is_test": True,
        "min_proto_version": 1,
        "max_proto_version": 2,
    }
    return tl.ClientParams(**(base | changes))


@pytest.mark.parametrize(
    ("query", "code", "text"),
    [
        (
            tl.ClientConnectToProxy(
                params=client_params(flags=2, is_test=None), min_config_version=0
            ),
            602,
            "tool old client",
        ),
        (
            tl.ClientConnectToProxy(params=client_params(is_test=False), min_config_version=0),
            602,
            "test mode mismatch",
        ),
        (
            tl.ClientConnectToProxy(params=client_params(), min_config_version=99),
            602,
            "active config version is too low",
        ),
        (
            tl.ClientConnectToProxy(
                params=client_params(client_owner_address="nope"), min_config_version=0
            ),
            602,
            "cannot parse client owner address",
        ),
    ],
)
async def test_bad_client_handshakes(net, query, code, text):
    async with raw_session(net, "client") as session:
        with pytest.raises(QueryError) as e:
            await session.query(query, timeout=5)
        assert (e.value.code, e.value.message) == (code, text)


async def test_client_auth_checks(net):
    async with raw_session(net, "client") as session:
        with pytest.raises(QueryError) as e:
            await session.query(tl.ClientGetWorkerTypesV2(), timeout=5)
        assert "non-ready connection" in e.value.message
    async with raw_session(net, "client") as session:
        connected = await session.query(
            tl.ClientConnectToProxy(params=client_params(), min_config_version=0), timeout=5
        )
        assert isinstance(connected.auth, tl.ClientProxyConnectionAuthLong)  # unknown on-chain
        with pytest.raises(QueryError) as e:
            await session.query(tl.ClientAuthorizeWithProxyShort(data=b"guess"), timeout=5)
        assert e.value.message == "sha256 mismatch"


async def test_known_client_gets_short_auth_with_its_secret(net):
    node = net.clients[0].node  # authorized long, then set its secret on-chain
    proxy = net.proxies[0].node
    acc = next(iter(proxy.clients.values()))
    with trio.fail_after(10):
        while acc.secret_hash == bytes(32):  # noqa: ASYNC110 - the channel loop sets it on-chain
            await trio.sleep(0.05)
    link = node.links[0]
    link.session.close("test: reconnect")
    with trio.fail_after(15):
        while not link.ready or link.session is None or link.session.closed:  # noqa: ASYNC110
            await trio.sleep(0.05)
    assert proxy.stats["auth_long"].total == 1  # the first connection
    assert proxy.stats["auth_short"].total == 1  # the reconnection proved the secret instead
