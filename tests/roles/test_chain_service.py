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
from cocoon.ton.embedded.ledger import EmbeddedLedger


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
