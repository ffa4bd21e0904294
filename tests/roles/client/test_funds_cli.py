"""Closing a client's channel from the command line: the proxy grants the refund on-chain
and the unused balance goes back to the client's wallet."""

from __future__ import annotations

import argparse

import pytest
import trio

from cocoon.network import NetworkConfig, open_network
from cocoon.roles.client.funds_cli import _main
from cocoon.ton.ledger import read_contract

from ..netutil import chat_body, eventually, run_request

pytestmark = pytest.mark.e2e


def args(url: str, action: str, access_hash: str = "") -> argparse.Namespace:
    return argparse.Namespace(
        url=url, action=action, proxy=None, amount=None, access_hash=access_hash
    )


@pytest.mark.parametrize("ledger", ["embedded", "lite"])  # the roles on liteservers too
async def test_close_refunds_the_balance_to_the_wallet(ledger):
    config = NetworkConfig(min_client_charge=1, min_worker_payout=1, ledger=ledger)
    async with open_network(config) as net:
        client = net.clients[0].node
        out = await run_request(client, chat_body(max_tokens=10))
        used = out.done.tokens
        (channel,) = client.channels.values()
        await eventually(
            lambda: channel.storage is not None and channel.storage.tokens_used == used, within=15
        )
        balance_before = channel.storage.balance
        wallet_before = await client.wallet.balance()
        token = net.clients[0].web.access_hash  # printed at start
        assert await _main(args(net.client_url, "status")) == 1  # the pages need it
        assert await _main(args(net.client_url, "status", token)) == 0
        assert await _main(args(net.client_url, "close", token)) == 0

        with trio.fail_after(15):
            while (state := await read_contract(net.ledger, channel.address, "client")).state != 2:  # noqa: ASYNC110 - chain state
                await trio.sleep(0.05)
        assert state.state == 2 and state.balance == 0  # closed by the proxy's granted refund
        refund = balance_before  # everything not charged comes back (the stake is not a deposit)
        # Read as the client reads it: through liteservers that is a block or so behind.
        with trio.fail_after(15):
            while (wallet_after := await client.wallet.balance()) <= wallet_before:  # noqa: ASYNC110 - chain state
                await trio.sleep(0.05)
        assert wallet_after > wallet_before + refund - 10**9  # minus what the messages cost
        out = await run_request(client, chat_body())
        assert out.failed is not None  # a closed channel serves no more requests


async def test_an_unreachable_client_is_one_line_not_a_traceback(
    capsys: pytest.CaptureFixture[str],
):
    listener = (await trio.open_tcp_listeners(0, host="127.0.0.1"))[0]
    port = listener.socket.getsockname()[1]
    await listener.aclose()  # nothing listens there now
    assert await _main(args(f"http://127.0.0.1:{port}", "status")) == 1
    assert "cannot connect" in capsys.readouterr().err


@pytest.mark.parametrize(
    "url", ["127.0.0.1:10000", "https://127.0.0.1:10000", "http://:80", "http://h:x"]
)
async def test_a_url_that_is_no_client_api_url_is_refused(url, capsys):
    assert await _main(args(url, "status")) == 2
    assert "expected http://host[:port]" in capsys.readouterr().err


async def test_the_port_defaults_to_80(monkeypatch):
    seen = []

    async def act(_args, host, port):
        seen.append((host, port))
        return 0

    monkeypatch.setattr("cocoon.roles.client.funds_cli._act", act)
    assert await _main(args("http://localhost", "status")) == 0
    assert seen == [("localhost", 80)]
