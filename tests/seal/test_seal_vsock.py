"""The VSOCK transport, where this machine has one (skipped elsewhere)."""

from __future__ import annotations

import random
import socket

import pytest
import trio

from cocoon.roles.seal import SealAddress, SealServerConfig, get_persistent_key, serve_seal
from cocoon.roles.seal.config import VSOCK_CID_ANY

VMADDR_CID_LOCAL = 1


@pytest.fixture(scope="module")
def vsock() -> None:
    if not hasattr(socket, "AF_VSOCK"):
        pytest.skip("no AF_VSOCK on this platform")
    try:
        socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM).close()
    except OSError as e:
        pytest.skip(f"no VSOCK transport here: {e}")


@pytest.fixture(scope="module")
def vsock_loopback(vsock: None) -> None:
    """Skips unless a VSOCK connection to this machine (CID 1) works."""
    with socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM) as server:
        server.bind((VSOCK_CID_ANY, random.randrange(20000, 60000)))
        server.listen()
        with socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM) as probe:
            probe.settimeout(1)
            try:
                probe.connect((VMADDR_CID_LOCAL, server.getsockname()[1]))
            except OSError as e:
                pytest.skip(f"VSOCK loopback is not available here ({e})")


async def _start(nursery: trio.Nursery) -> SealAddress:
    for _ in range(5):
        port = random.randrange(20000, 60000)
        config = SealServerConfig(address=SealAddress.vsock(VSOCK_CID_ANY, port))
        try:
            handle = await nursery.start(serve_seal, config)
        except OSError:
            continue  # port taken; try another
        return handle.address
    raise AssertionError("no free VSOCK port in five tries")


async def test_seal_server_listens_on_vsock(vsock, nursery):
    address = await _start(nursery)
    assert address.transport == "vsock" and address.cid == VSOCK_CID_ANY
    assert str(address) == f"vsock:{VSOCK_CID_ANY}:{address.port}"


async def test_seal_over_vsock_loopback(vsock_loopback, nursery, client_config):
    address = await _start(nursery)
    config = client_config(SealAddress.vsock(VMADDR_CID_LOCAL, address.port))
    assert len(await get_persistent_key(config)) == 32
