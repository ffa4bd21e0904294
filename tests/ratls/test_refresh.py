"""Certificate refresh: new connections get the new identity, open ones keep working."""

from __future__ import annotations

import os
import time

import trio

from cocoon.ratls.connect import open_ratls_stream, serve_ratls
from cocoon.ratls.identity import NOT_BEFORE_BACKDATE_SECONDS, Identity
from cocoon.ratls.policy import builtin_policies
from cocoon.ratls.refresh import IdentityHolder

FAKE, ANY = builtin_policies()["fake_tdx"], builtin_policies()["any"]


def _bump(path, seconds: int) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 1_000_000_000))


def test_reload_files_only_a_matching_pair(tmp_path):
    base = tmp_path / "tdx"
    first = Identity.generate("fake")
    first.write(base)
    holder = IdentityHolder.from_files(base)
    assert holder.identity.public_key == first.public_key and not holder.reload_files()
    second = Identity.generate("fake")
    # the writer renamed the cert but not yet the key: keep the old pair
    (tmp_path / "tdx_cert.pem").write_bytes(second.cert_pem())
    _bump(tmp_path / "tdx_cert.pem", 5)
    assert not holder.reload_files() and holder.identity.public_key == first.public_key
    (tmp_path / "tdx_key.pem").write_bytes(second.key_pem())
    _bump(tmp_path / "tdx_key.pem", 6)
    assert holder.reload_files() and holder.identity.public_key == second.public_key
    assert holder.generation == 1 and not holder.reload_files()


async def test_regenerates_before_expiry():
    now = time.time()
    holder = IdentityHolder.generated("fake", now=int(now))
    old = holder.identity
    assert not await holder.regenerate_if_expiring(refresh_margin=3600, clock=lambda: now + 1000)
    later = now + 86400 - 1800
    assert await holder.regenerate_if_expiring(refresh_margin=3600, clock=lambda: later)
    assert holder.identity.public_key != old.public_key
    assert holder.identity.not_after.timestamp() == int(later) - NOT_BEFORE_BACKDATE_SECONDS + 86400


async def test_run_reloads_files(tmp_path, autojump_clock):
    base = tmp_path / "node"
    Identity.generate("none").write(base)
    holder = IdentityHolder.from_files(base)
    async with trio.open_nursery() as nursery:
        await nursery.start(holder.run)
        new = Identity.generate("none")
        new.write(base)
        _bump(tmp_path / "node_cert.pem", 10)
        await trio.sleep(61)
        assert holder.identity.public_key == new.public_key
        nursery.cancel_scope.cancel()


async def test_swap_keeps_open_connections(nursery):
    holder = IdentityHolder.generated("fake")
    first_key = holder.identity.public_key

    async def echo(stream):
        while data := await stream.receive_some():
            await stream.send_all(data)

    listeners = await nursery.start(
        lambda task_status: serve_ratls(echo, 0, holder, ANY, difficulty=1, task_status=task_status)
    )
    port = listeners[0].socket.getsockname()[1]
    client = Identity.generate("none")
    old = await open_ratls_stream("127.0.0.1", port, client, FAKE)
    assert old.peer.public_key == first_key
    holder.replace(Identity.generate("fake"))
    new = await open_ratls_stream("127.0.0.1", port, client, FAKE)
    assert new.peer.public_key == holder.identity.public_key != first_key
    for stream in (old, new):
        await stream.send_all(b"still here")
        assert await stream.receive_some() == b"still here"
        await stream.aclose()
