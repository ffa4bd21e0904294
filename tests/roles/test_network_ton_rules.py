"""The whole one-process network on TON's transaction rules (issue 14, finding 1): with
mainnet's prices the proxy's 1-nano state commits and the client and worker contracts'
1-nano notifications buy no gas, so their transactions on the proxy contract are aborted
with the compute phase skipped. The proxy reads them as the reference does: as logs."""

from __future__ import annotations

import pytest
import trio

from cocoon import tl
from cocoon.network import NetworkConfig, open_network
from cocoon.roles.proxy.clients import LONG_AUTH_TIMEOUT
from cocoon.ton import MAINNET_FLOOR
from cocoon.ton.bodies import ClientProxyRegister, ClientProxyRequest, ProxySaveState, parse_body
from cocoon.ton.ledger import read_contract

from .netutil import chat_body, eventually, run_request
from .test_proxy_handshakes import connect_and_register, raw_session

pytestmark = pytest.mark.e2e


def skipped_bodies(chain, address, kind):
    out = []
    for tx in chain.transactions(address):
        if tx.bought_no_gas and tx.in_msg is not None and tx.in_msg.body is not None:
            out.append(parse_body(tx.in_msg.body, kind))
    return out


@pytest.mark.parametrize("ledger", ["embedded", "lite"])  # on liteservers, skipped as on TON
async def test_the_network_runs_on_mainnet_prices_with_skipped_notifications(ledger):
    config = NetworkConfig(
        client_http=False,
        fees=MAINNET_FLOOR,
        min_client_charge=1,
        min_worker_payout=1,
        ledger=ledger,
    )
    # Bounded: before the fix the proxy never saw its commit, so the network was never ready.
    with trio.fail_after(120):
        async with open_network(config) as net:
            await _run_and_settle(net)


async def _run_and_settle(net) -> None:
    proxy = net.proxies[0].node
    chain = net.chain
    notes = skipped_bodies(chain, proxy.sc_address, "proxy")
    assert any(isinstance(b, ProxySaveState) for b in notes)  # the commit that readied it
    client = net.clients[0].node
    total = 0
    for _ in range(3):
        out = await run_request(client, chat_body(max_tokens=20))
        assert out.failed is None, out.failed
        total += out.done.tokens
    acc = next(iter(proxy.clients.values()))
    wacc = next(iter(proxy.workers.values()))
    # The client's register and state notifications came as skipped transactions too.
    notes = skipped_bodies(chain, proxy.sc_address, "proxy")
    assert any(isinstance(b, ClientProxyRequest) for b in notes)
    await eventually(
        lambda: acc.tokens.sc_tokens == total and wacc.tokens.sc_tokens == total, within=30
    )
    client_sc = await read_contract(net.ledger, acc.sc_address, "client")
    worker_sc = await read_contract(net.ledger, wacc.sc_address, "worker")
    assert client_sc.tokens_used == total and worker_sc.tokens == total
    assert chain.fees_collected > 0 and chain.total() == chain.minted


async def test_a_register_notification_that_bought_no_gas_authorizes_the_client():
    """The client contract forwards `register(nonce)` to the proxy with 1 nano: on TON that
    transaction is aborted with the compute skipped, and it is still the register."""
    with trio.fail_after(120):
        async with open_network(NetworkConfig(clients=0, client_http=False)) as net:
            net.chain.fees = MAINNET_FLOOR
            node = net.proxies[0].node
            async with raw_session(net, "client") as session:
                owner, _ = await connect_and_register(net, session)
                client = node.contract.client(owner)
                (register,) = [
                    t
                    for t in net.chain.transactions(node.sc_address)
                    if t.in_msg is not None and t.in_msg.src == client.address
                    and isinstance(parse_body(t.in_msg.body, "proxy").payload, ClientProxyRegister)
                ]  # fmt: skip
                assert register.bought_no_gas and not register.success
                # Before the fix the proxy never saw it: this query timed out.
                answer = await session.query(
                    tl.ClientAuthorizeWithProxyLong(), timeout=LONG_AUTH_TIMEOUT / 10
                )
                assert isinstance(answer, tl.ClientAuthorizationWithProxySuccess), answer
