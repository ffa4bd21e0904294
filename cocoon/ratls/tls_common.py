"""What both TLS sides share: the error type, the read size and the lock helper.

Its own module so that the dialing side (`cocoon.ratls.tls_client`, on the stdlib) does not
import pyOpenSSL: a role that only dials (the client, the worker) never loads it (about
1.2 MB of RSS at rest).
"""

from __future__ import annotations

import trio

from cocoon.errors import ProtocolError

# Buffers stay under glibc's mmap threshold (128 KiB): a 256 KiB read buffer cost an mmap, an
# mremap and a munmap on every read (about 14 us each time on the bench machine), and a TLS
# record is at most 16 KiB anyway.
RECEIVE_SIZE = 64 * 1024  # bytes read from the transport at once


class TlsError(ProtocolError):
    """The TLS layer failed: bad records, handshake failure, or a peer that is not TLS."""


async def acquire(lock: trio.Lock) -> None:
    """Take `lock` without a scheduler pass when it is free (`Lock.acquire` always makes one,
    and every message sent or received takes a lock)."""
    try:
        lock.acquire_nowait()
    except trio.WouldBlock:
        await lock.acquire()
