"""`cocoon seal-client` and `cocoon seal-server` as processes, against 127.0.0.1."""

from __future__ import annotations

import argparse
import hashlib
import json
import stat
import subprocess
import sys
from functools import partial

import pytest
import trio

from cocoon.errors import ConfigError
from cocoon.roles.seal import (
    EnclavePolicy,
    FakeTdxGuest,
    SealAddress,
    SealClientConfig,
    SoftwareEnclave,
    cli_client,
    get_persistent_key,
)
from cocoon.roles.seal.framing import FrameDecoder, encode_frame
from cocoon.roles.seal.messages import GetPersistentKey, PersistentKey
from cocoon.roles.seal.transport import receive_frame

COCOON = [sys.executable, "-m", "cocoon"]


async def cocoon(*args: str) -> subprocess.CompletedProcess[bytes]:
    with trio.fail_after(20):
        return await trio.run_process(
            [*COCOON, *args], capture_stdout=True, capture_stderr=True, check=False
        )


async def test_seal_client_prints_the_hash_and_writes_the_key(seal_server, client_config, tmp_path):
    out = tmp_path / "disk.key"
    port = str(seal_server.address.port)
    proc = await cocoon(
        "seal-client", "disk_encryption", "--fake", "--tcp", "127.0.0.1", "-p", port, "-o", str(out)
    )
    assert proc.returncode == 0, proc.stderr
    key = await get_persistent_key(client_config(seal_server.address, "disk_encryption"))
    assert out.read_bytes() == key and stat.S_IMODE(out.stat().st_mode) == 0o600
    assert proc.stdout.decode().strip() == hashlib.sha256(key).hexdigest()


async def test_seal_client_writes_nothing_for_a_tampered_answer(nursery, tmp_path):
    async def tampering_server(stream: trio.SocketStream) -> None:
        async with stream:
            payload = await receive_frame(stream, FrameDecoder())
            answer = SoftwareEnclave().answer(GetPersistentKey.from_bytes(payload))
            secret = bytes([answer.encrypted_secret[0] ^ 1]) + answer.encrypted_secret[1:]
            await stream.send_all(encode_frame(PersistentKey(answer.sgx_quote, secret).to_bytes()))

    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    await nursery.start(trio.serve_listeners, tampering_server, listeners)
    port = str(listeners[0].socket.getsockname()[1])
    out = tmp_path / "app.key"
    proc = await cocoon(
        "seal-client", "-k", "app", "--fake", "--tcp", "127.0.0.1", "-p", port, "-o", str(out)
    )
    assert proc.returncode == 1
    assert b"tampered" in proc.stderr and proc.stdout == b""
    assert not out.exists() and list(tmp_path.iterdir()) == []


async def test_seal_client_real_mode_needs_an_enclave_identity():
    proc = await cocoon("seal-client", "app", "--tcp", "127.0.0.1")
    assert proc.returncode == 1 and b"MRENCLAVE" in proc.stderr


async def test_seal_server_process_serves_keys(client_config):
    probe = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = probe[0].socket.getsockname()[1]
    await probe[0].aclose()  # a free port for the server process
    address = SealAddress.tcp("127.0.0.1", port)
    async with trio.open_nursery() as nursery:
        command = [*COCOON, "seal-server", "--fake", "--tcp", "127.0.0.1", "-p", str(port)]
        proc = await nursery.start(partial(trio.run_process, command, check=False))
        with trio.fail_after(20):
            while True:
                try:
                    await (await trio.open_tcp_stream("127.0.0.1", port)).aclose()
                    break
                except OSError:
                    await trio.sleep(0.05)
            key = await get_persistent_key(client_config(address))
        proc.terminate()
    assert len(key) == 32


async def test_seal_server_without_fake_says_why():
    proc = await cocoon("seal-server", "--tcp", "127.0.0.1", "-p", "1")
    assert proc.returncode == 2 and b"--fake" in proc.stderr


def parse_client_args(*argv: str) -> SealClientConfig:
    parser = argparse.ArgumentParser()
    cli_client.add_arguments(parser)
    return cli_client.config_from_args(parser.parse_args(argv))


def test_seal_client_options(tmp_path):
    td = tmp_path / "td.json"
    td.write_text(json.dumps({"mr_td": "ab" * 48, "rtmr3_events": ["cocoon:tdx_inited"]}))
    config = parse_client_args(
        "--fake", "--fake-td", str(td), "-k", "app", "--cid", "3", "-p", "7", "-m", "cd" * 32, "-s"
    )
    assert config.key_name == b"app" and config.address == SealAddress.vsock(3, 7)
    assert config.fake_guest == FakeTdxGuest(mr_td=b"\xab" * 48).extend_rtmr3(b"cocoon:tdx_inited")
    assert config.policy == EnclavePolicy({b"\xcd" * 32}, skip_validation=True)
    assert parse_client_args("--fake").key_name == b"default"
    with pytest.raises(ConfigError, match="once"):
        parse_client_args("--fake", "a", "-k", "b")
    with pytest.raises(ConfigError, match="needs --fake"):
        parse_client_args("-s", "--fake-td", str(td))
