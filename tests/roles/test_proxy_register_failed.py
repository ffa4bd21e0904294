"""A client whose register notification fails on the proxy's contract (here exit 1008: the
contract's params are of another struct version) is refused as soon as the proxy sees the
failed transaction, with the exit code, instead of after the whole register timeout (300 s)."""

from __future__ import annotations

import attrs
import pytest
from pytoniq_core import Address

from cocoon import tl
from cocoon.network import NetworkConfig, open_network
from cocoon.roles.proxy.clients import LONG_AUTH_TIMEOUT
from cocoon.ton.embedded.chain import key

from .test_proxy_handshakes import connect_and_register, raw_session

pytestmark = pytest.mark.e2e


def _damage_params(chain, proxy_sc: Address) -> None:
    """Store the proxy contract's params with struct_version 4: the contract code requires 3,
    so every client notification it gets fails with 1008 (STORED_DATA_DAMAGED)."""
    storage = chain.storage(proxy_sc)
    damaged = attrs.evolve(storage, params=attrs.evolve(storage.params, struct_version=4))
    chain.accounts[key(proxy_sc)].data = damaged.to_cell()


async def test_a_register_that_failed_on_chain_is_refused_at_once():
    async with open_network(NetworkConfig(clients=0, client_http=False)) as net:
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
