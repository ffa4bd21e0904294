"""A client's register notification reaching a proxy contract that cannot run it (here its
params are of another struct version: every client notification it computes fails with 1008).

On TON (mainnet fees, the network's default) the notification carries 1 nano: it buys no gas,
so the proxy contract never runs it (compute skipped, NO_GAS) and the inbound message is the log
the proxy reads, as the reference reads every inbound message on its contract whatever the
outcome. The register goes through. Only on a chain that computes 1-nano messages (zero fees)
can the notification fail in the contract; the proxy then refuses the client at once, with the
exit code, instead of after the whole register timeout (300 s)."""

from __future__ import annotations

import attrs
import pytest
from pytoniq_core import Address

from cocoon import tl
from cocoon.network import NetworkConfig, open_network
from cocoon.roles.proxy.clients import LONG_AUTH_TIMEOUT
from cocoon.ton.constants import ExitCode, Op
from cocoon.ton.embedded.chain import key
from cocoon.ton.embedded.fees import MAINNET_FEES, ZERO_FEES

from .test_proxy_handshakes import connect_and_register, raw_session

pytestmark = pytest.mark.e2e


def _damage_params(chain, proxy_sc: Address) -> None:
    """Store the proxy contract's params with struct_version 4: the contract code requires 3,
    so every client notification it computes fails with 1008 (STORED_DATA_DAMAGED)."""
    storage = chain.storage(proxy_sc)
    damaged = attrs.evolve(storage, params=attrs.evolve(storage.params, struct_version=4))
    chain.accounts[key(proxy_sc)].data = damaged.to_cell()


def _client_notifications(chain, proxy_sc: Address) -> list:
    return [
        t
        for t in chain.transactions(proxy_sc)
        if t.in_msg is not None
        and t.in_msg.body is not None
        and len(t.in_msg.body.begin_parse().bits) >= 32
        and t.in_msg.body.begin_parse().load_uint(32) == Op.CLIENT_PROXY_REQUEST
    ]


async def test_on_ton_a_register_notification_is_not_computed_and_is_read_as_its_log():
    config = NetworkConfig(clients=0, client_http=False)
    assert config.fees == MAINNET_FEES  # whole-network tests run on TON's prices
    async with open_network(config) as net:
        node = net.proxies[0].node
        _damage_params(net.chain, node.sc_address)
        async with raw_session(net, "client") as session:
            await connect_and_register(net, session)
            (notification,) = _client_notifications(net.chain, node.sc_address)
            # Not computed: the damaged params were never read, nothing failed in the contract.
            assert notification.exit_code == ExitCode.NO_GAS and not notification.success
            assert notification.in_msg.value == 1
            answer = await session.query(
                tl.ClientAuthorizeWithProxyLong(), timeout=LONG_AUTH_TIMEOUT / 10
            )
            assert isinstance(answer, tl.ClientAuthorizationWithProxySuccess), answer


async def test_on_a_chain_that_computes_it_a_failed_register_is_refused_at_once():
    async with open_network(NetworkConfig(clients=0, client_http=False, fees=ZERO_FEES)) as net:
        node = net.proxies[0].node
        _damage_params(net.chain, node.sc_address)
        async with raw_session(net, "client") as session:
            await connect_and_register(net, session)
            failed = [t for t in net.chain.transactions(node.sc_address) if not t.success]
            assert [t.exit_code for t in failed] == [1008]  # the notification did fail there
            # Far less than the register timeout: before the fix this query timed out.
            answer = await session.query(
                tl.ClientAuthorizeWithProxyLong(), timeout=LONG_AUTH_TIMEOUT / 10
            )
            assert isinstance(answer, tl.ClientAuthorizationWithProxyFailed), answer
            assert "exit code 1008" in answer.error and "register" in answer.error
