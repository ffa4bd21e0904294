"""What both TLS sides share: the error type, the read size, the lock helper, and the stream
plumbing (`TlsStreamBase`: locks, handshake loop, flushing, closing) around each side's
library calls.

Its own module so that the dialing side (`cocoon.ratls.tls_client`, on the stdlib) does not
import pyOpenSSL: a role that only dials (the client, the worker) never loads it (about
1.2 MB of RSS at rest).
"""

from __future__ import annotations

import abc

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


class TlsStreamBase(trio.abc.Stream):
    """A TLS connection over `transport`, less the TLS library: a subclass drives its library
    through `_handshake_step`, `_write`, `_drain`, `_feed` and `_receive_locked`, and raises
    `TlsError` (already described) for the library's errors. Call `do_handshake()` once before
    use. After a successful RA-TLS verification `peer` describes the other side
    (`cocoon.ratls.connect.RatlsPeer`). One task may send while another receives."""

    server_side: bool

    def __init__(self, transport: trio.abc.Stream) -> None:
        self.transport = transport
        # A transport that can send without waiting (`cocoon.net.tcp.SocketStream`) lets
        # this stream do so too (`send_nowait`).
        self._transport_send_nowait = getattr(transport, "send_nowait", None)
        self.peer = None
        self._send_lock = trio.Lock()
        self._receive_lock = trio.Lock()
        self._handshake_done = False
        self._broken: str | None = None
        self._eof = False
        self._closed = False

    # --- the library's part ---

    @abc.abstractmethod
    def _handshake_step(self) -> bool:
        """Advance the handshake: True when done, False when it needs the peer's bytes."""

    @abc.abstractmethod
    def _write(self, data: bytes | bytearray | memoryview) -> None:
        """Encrypt `data` into the outgoing buffer."""

    @abc.abstractmethod
    def _drain(self) -> bytes:
        """Take the records waiting to go out (b"" when none)."""

    @abc.abstractmethod
    def _feed(self, data: bytes) -> None:
        """Hand bytes read from the transport to the library."""

    @abc.abstractmethod
    async def _receive_locked(self, max_bytes: int) -> bytes:
        """Up to `max_bytes` of plaintext; b"" at the end (under the receive lock)."""

    # --- plumbing ---

    def _check(self) -> None:
        if self._closed:
            raise trio.ClosedResourceError("TLS stream is closed")
        if self._broken is not None:
            raise trio.BrokenResourceError(self._broken)

    async def _flush(self) -> None:
        # Drain only under the send lock, so TLS records leave in the order the library made
        # them; loop, because the receiving task may add records (a KeyUpdate answer) meanwhile.
        await acquire(self._send_lock)
        try:
            while True:
                data = self._drain()
                if not data and not self.send_pending:
                    break
                try:
                    await self.transport.send_all(data)
                except BaseException as e:
                    self._broken = f"transport failed while sending: {e!r}"
                    raise
        finally:
            self._send_lock.release()

    async def _flush_quietly(self) -> None:
        try:
            with trio.move_on_after(1):
                await self._flush()
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass

    async def _read_transport(self) -> bool:
        """Feed the next chunk from the transport to the library; False on EOF."""
        try:
            data = await self.transport.receive_some(RECEIVE_SIZE)
        except trio.BrokenResourceError as e:
            self._broken = f"transport failed: {e!r}"
            raise
        if not data:
            return False
        self._feed(data)
        return True

    # --- handshake ---

    async def do_handshake(self) -> None:
        """Run the TLS handshake; raises TlsError, or trio.BrokenResourceError when the peer
        goes away."""
        self._check()
        if self._handshake_done:
            return
        async with self._receive_lock:
            while True:
                try:
                    if self._handshake_step():
                        break
                except TlsError:
                    await self._flush_quietly()  # let the peer see our alert, then fail
                    raise
                await self._flush()
                if not await self._read_transport():
                    self._broken = "peer closed the connection during the TLS handshake"
                    raise trio.BrokenResourceError(self._broken)
            await self._flush()
            self._handshake_done = True

    # --- trio.abc.Stream ---

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        self._check()
        if not self._handshake_done:
            raise TlsError("send_all before the TLS handshake")
        if data:
            self._write(data)
        await self._flush()

    @property
    def send_pending(self) -> bool:
        """Records taken by `send_nowait` are still waiting for the transport."""
        return self._transport_send_nowait is not None and self.transport.send_pending

    def send_nowait(self, data: bytes | bytearray | memoryview) -> bool:
        """Encrypt and send `data` without waiting, or take nothing and return False (a
        transport that cannot, a send under way, records still pending). On True the
        records are the transport's: what it did not send at once goes first on the next
        `send_all` (b"" sends only that). The records are the ones `send_all` would make."""
        send_nowait = self._transport_send_nowait
        if send_nowait is None:
            return False
        self._check()
        if not self._handshake_done:
            raise TlsError("send_nowait before the TLS handshake")
        if self._send_lock.locked() or self.transport.send_pending:
            return False
        if data:
            self._write(data)
        # Every transport send happens under the send lock, which is free: the transport is
        # idle and takes the records.
        if records := self._drain():
            try:
                taken = send_nowait(records)
            except BaseException as e:
                self._broken = f"transport failed while sending: {e!r}"
                raise
            if not taken:
                self._broken = "transport refused records it was expected to take"
                raise trio.BrokenResourceError(self._broken)
        return True

    async def wait_send_all_might_not_block(self) -> None:
        self._check()
        async with self._send_lock:
            await self.transport.wait_send_all_might_not_block()

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        self._check()
        if not self._handshake_done:
            raise TlsError("receive_some before the TLS handshake")
        if max_bytes is None:
            max_bytes = RECEIVE_SIZE
        elif max_bytes < 1:
            raise ValueError("max_bytes must be >= 1")
        await acquire(self._receive_lock)
        try:
            return await self._receive_locked(max_bytes)
        finally:
            self._receive_lock.release()

    async def aclose(self) -> None:
        """Close without close_notify (the reference's quiet shutdown)."""
        if self._closed:
            return
        self._closed = True
        await self.transport.aclose()
