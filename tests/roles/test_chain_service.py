"""`cocoon chain serve`: one embedded ledger shared with roles in other processes."""

from __future__ import annotations

import secrets
import subprocess
import sys
from functools import partial

import httpx
import pytest
import trio
from pytoniq_core import Address

from cocoon.roles.chain.remote import RemoteLedger
from cocoon.roles.chain.service import serve_ledger
from cocoon.ton.codes import COCOON_WALLET_CODE, LOCAL_CODES, is_identity_only
from cocoon.ton.constants import ONE_TON
from cocoon.ton.embedded.chain import Chain
from cocoon.ton.embedded.ledger import EmbeddedLedger
from cocoon.ton.embedded.store import SqliteStore
from cocoon.ton.wallet import Transfer
from cocoon.ton.wallet_client import open_wallet


async def test_a_remote_ledger_sees_the_served_chain(tmp_path, nursery):
    ledger = EmbeddedLedger(path=tmp_path / "ledger.sqlite")
    port = await nursery.start(partial(serve_ledger, ledger, 0))
    remote = RemoteLedger(f"http://127.0.0.1:{port}")
    try:
        address = Address((0, secrets.token_bytes(32)))
        await remote.faucet(address, 12345)
        assert (await ledger.get_account(address)).balance == 12345
        assert (await remote.get_account(address)).balance == 12345
        assert abs(await remote.now() - await ledger.now()) <= 1
    finally:
        await remote.aclose()
        nursery.cancel_scope.cancel()
        ledger.close()


@pytest.mark.parametrize("wallet_code", [None, COCOON_WALLET_CODE])
async def test_a_remote_ledgers_wallets_are_the_served_chains(tmp_path, nursery, wallet_code):
    # The root's data holds no wallet code: the service tells its clients the chain's, so a
    # role in another process makes its wallet at the address the chain's own nodes do.
    chain = Chain(store=SqliteStore(tmp_path / "ledger.sqlite"), wallet_code=wallet_code)
    ledger = EmbeddedLedger(chain)
    port = await nursery.start(partial(serve_ledger, ledger, 0))
    remote = RemoteLedger(f"http://127.0.0.1:{port}")
    try:
        code = await remote.wallet_code()
        assert code.hash == chain.wallet_code.hash == (wallet_code or LOCAL_CODES.wallet).hash
        assert is_identity_only(code) == (wallet_code is not None)
        owner = chain.create_user(Address((0, bytes([1]) * 32)), ONE_TON)
        here = await open_wallet(ledger, b"\x0a" * 32, owner)
        there = await open_wallet(remote, b"\x0a" * 32, owner)
        assert there.address == here.address
        await remote.faucet(there.address, 5 * ONE_TON)
        (tx,) = await there.send(Transfer(owner, ONE_TON))
        assert tx.success and (await ledger.get_account(here.address)).code.hash == code.hash
    finally:
        await remote.aclose()
        nursery.cancel_scope.cancel()
        ledger.close()


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example", "Content-Type": "text/plain"},  # a page's fetch
        {"Origin": "http://127.0.0.1"},  # even one that looks local: browsers only
        {"Host": "rebound.evil.example"},  # DNS rebinding: the page's own name
    ],
)
async def test_web_pages_cannot_use_the_faucet(tmp_path, nursery, headers):
    ledger = EmbeddedLedger(path=tmp_path / "ledger.sqlite")
    port = await nursery.start(partial(serve_ledger, ledger, 0))
    address = Address((0, secrets.token_bytes(32)))
    body = f'{{"address": "{address.to_str()}", "amount": 1000000000}}'
    try:
        async with httpx.AsyncClient() as http:
            r = await http.post(f"http://127.0.0.1:{port}/faucet", content=body, headers=headers)
        assert r.status_code == 403, r.text
        assert (await ledger.get_account(address)).balance == 0
    finally:
        nursery.cancel_scope.cancel()
        ledger.close()


def test_the_command_prints_where_it_serves(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "cocoon", "chain", "serve", "--path", str(tmp_path / "l.sqlite")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("ledger service: http://127.0.0.1:"), proc.stderr
        port = int(line.rsplit(":", 1)[1])

        async def now() -> int:
            remote = RemoteLedger(f"http://127.0.0.1:{port}")
            try:
                return await remote.now()
            finally:
                await remote.aclose()

        assert trio.run(now) > 0
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("ftp://127.0.0.1:1", "http://host:port"),
        ("http://127.0.0.1:99999", "http://host:port"),
        ("http://127.0.0.1:port", "http://host:port"),
        ("/nonexistent/dir/ledger.sqlite", "cannot open the ledger file /nonexistent"),
    ],
)
def test_a_bad_ledger_spec_is_a_config_error(spec, needle):
    """These used to escape as a ValueError from urllib or sqlite3's OperationalError."""
    from cocoon.errors import ConfigError
    from cocoon.roles.chain.remote import open_ledger

    with pytest.raises(ConfigError, match=needle):
        open_ledger(spec)


def test_a_ledger_file_charges_mainnet_fees_unless_told(tmp_path):
    """A role or `cocoon chain serve` opening a chain file runs it on TON's prices; zero fees
    only by choice (`--fees zero`)."""
    import argparse

    from cocoon.roles.chain.cli import add_arguments
    from cocoon.roles.chain.remote import open_embedded_ledger, open_ledger
    from cocoon.ton.embedded.fees import FEES_BY_NAME, MAINNET_FEES, ZERO_FEES

    ledger = open_ledger(str(tmp_path / "a.sqlite"))
    assert ledger.chain.fees == MAINNET_FEES
    ledger.close()
    ledger = open_embedded_ledger(tmp_path / "b.sqlite", ZERO_FEES)
    assert ledger.chain.fees == ZERO_FEES
    ledger.close()
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args(["serve", "--path", "x"]).fees == "mainnet"
    assert FEES_BY_NAME[parser.parse_args(["serve", "--path", "x", "--fees", "zero"]).fees] == (
        ZERO_FEES
    )


async def test_a_name_roles_reach_it_by_is_accepted_when_allowed(tmp_path, nursery):
    """Between containers the roles' URL is `http://chain:PORT`: their Host `chain:PORT` is
    refused (as a rebinding page's would be) unless the service is told that name."""
    ledger = EmbeddedLedger(path=tmp_path / "ledger.sqlite")
    refusing = await nursery.start(partial(serve_ledger, ledger, 0))
    allowing = await nursery.start(partial(serve_ledger, ledger, 0, allowed_hosts=["chain"]))
    try:
        async with httpx.AsyncClient() as http:
            for port, status in ((refusing, 403), (allowing, 200)):
                r = await http.post(
                    f"http://127.0.0.1:{port}/now", content="{}", headers={"Host": f"chain:{port}"}
                )
                assert r.status_code == status, r.text
    finally:
        nursery.cancel_scope.cancel()
        ledger.close()
