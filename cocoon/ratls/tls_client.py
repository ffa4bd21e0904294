"""The dialing side of RA-TLS on the stdlib `ssl` module (memory BIOs), as a `trio.abc.Stream`.

Why not pyOpenSSL, as on the accepting side (`cocoon.ratls.tls`): every record there costs
several cffi calls and a `WantReadError` per read, where `ssl.SSLObject` does the same work in
C. The stdlib cannot accept a self-signed *client* certificate (it has no verify callback), but
a client does not need one (spec 20 section 5.4): it presents its Ed25519 certificate when the
server asks, takes the server's certificate unverified (`CERT_NONE`), and the RA-TLS checks
(`cocoon.ratls.connect.verify_peer`: validity dates, self-signature, purpose, critical
extensions, the attestation policy) run on it right after the handshake, before any
application byte is sent. The checked certificate is the one the handshake proved: TLS 1.3
verifies the server's CertificateVerify signature against the leaf's key whatever the verify
mode, and `getpeercert` returns that leaf.

Profile: TLS 1.3 only, no SNI, no ALPN, no tickets offered. The stdlib cannot restrict the
TLS 1.3 suites, so the ClientHello also offers ChaCha20; both our servers and the reference's
allow only the AES-GCM suites and pick one of those. Closing never sends close_notify and an
EOF without one is a normal EOF, as on the server side.
"""

from __future__ import annotations

import functools
import os
import ssl
import tempfile

import trio

from cocoon.ratls.identity import Identity
from cocoon.ratls.tls_common import RECEIVE_SIZE, TlsError, acquire

RECORD_PLAINTEXT = 16384  # a TLS record carries at most this much; one SSL read returns one


@functools.lru_cache(maxsize=8)
def make_client_context(identity: Identity) -> ssl.SSLContext:
    """The client context for `identity`, shared by its connections (one per identity: a
    refreshed identity gets a new one)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the RA-TLS checks run on the certificate afterwards
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.options |= ssl.OP_NO_TICKET
    # load_cert_chain reads files only: hand it the PEMs through a private directory.
    with tempfile.TemporaryDirectory(prefix="cocoon-ratls-") as tmp:
        cert_path, key_path = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        with open(cert_path, "wb") as f:
            f.write(identity.cert_pem())
        with open(os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
            f.write(identity.key_pem())
        ctx.load_cert_chain(cert_path, key_path)
    return ctx


class ClientTlsStream(trio.abc.Stream):
    """A TLS client connection over `transport`. Call `do_handshake()` once before use.
    After a successful RA-TLS verification `peer` describes the server
    (`cocoon.ratls.connect.RatlsPeer`). One task may send while another receives."""

    server_side = False

    def __init__(self, transport: trio.abc.Stream, context: ssl.SSLContext) -> None:
        self.transport = transport
        self.peer = None
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self._obj = context.wrap_bio(self._in, self._out, server_side=False)
        self._send_lock = trio.Lock()
        self._receive_lock = trio.Lock()
        self._handshake_done = False
        self._broken: str | None = None
        self._eof = False
        self._closed = False

    # --- plumbing ---

    def _check(self) -> None:
        if self._closed:
            raise trio.ClosedResourceError("TLS stream is closed")
        if self._broken is not None:
            raise trio.BrokenResourceError(self._broken)

    async def _flush(self) -> None:
        # Under the send lock, so records leave in the order OpenSSL made them; loop, because
        # the receiving task may add records (a KeyUpdate answer) while we send.
        await acquire(self._send_lock)
        try:
            out = self._out
            while out.pending:
                try:
                    await self.transport.send_all(out.read())
                except BaseException as e:
                    self._broken = f"transport failed while sending: {e!r}"
                    raise
        finally:
            self._send_lock.release()

    async def _read_transport(self) -> bool:
        """Feed the next chunk from the transport to OpenSSL; False on EOF."""
        try:
            data = await self.transport.receive_some(RECEIVE_SIZE)
        except trio.BrokenResourceError as e:
            self._broken = f"transport failed: {e!r}"
            raise
        if not data:
            return False
        self._in.write(data)
        return True

    def _ssl_error(self, e: ssl.SSLError, during: str) -> TlsError:
        self._broken = f"TLS failed during {during}: {e}"
        return TlsError(f"TLS {during} failed: {e.reason or e}")

    # --- handshake ---

    async def do_handshake(self) -> None:
        """Run the TLS handshake; raises TlsError, or trio.BrokenResourceError when the peer
        goes away. The server's certificate is not checked here (see the module's doc)."""
        self._check()
        if self._handshake_done:
            return
        async with self._receive_lock:
            while True:
                try:
                    self._obj.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    pass
                except ssl.SSLError as e:
                    # Let the peer see our alert, then fail.
                    await self._flush_quietly()
                    raise self._ssl_error(e, "handshake") from None
                await self._flush()
                if not await self._read_transport():
                    self._broken = "peer closed the connection during the TLS handshake"
                    raise trio.BrokenResourceError(self._broken)
            await self._flush()
            self._handshake_done = True

    async def _flush_quietly(self) -> None:
        try:
            with trio.move_on_after(1):
                await self._flush()
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass

    def peer_certificate_der(self) -> bytes | None:
        """The server's leaf certificate, the one whose key signed the handshake."""
        return self._obj.getpeercert(binary_form=True)

    @property
    def cipher(self) -> str | None:
        cipher = self._obj.cipher()
        return None if cipher is None else cipher[0]

    @property
    def version(self) -> str | None:
        return self._obj.version()

    # --- trio.abc.Stream ---

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        self._check()
        if not self._handshake_done:
            raise TlsError("send_all before the TLS handshake")
        if data:
            try:
                self._obj.write(data)  # the memory BIO takes all of it
            except ssl.SSLError as e:
                raise self._ssl_error(e, "send") from None
        await self._flush()

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

    async def _receive_locked(self, max_bytes: int) -> bytes:
        obj, incoming = self._obj, self._in
        while True:
            if self._eof:
                return b""
            chunks, total = [], 0
            # Read only while OpenSSL has something to work on: no exception per call.
            while total < max_bytes and (incoming.pending or obj.pending()):
                try:
                    chunk = obj.read(min(max_bytes - total, RECORD_PLAINTEXT))
                except ssl.SSLWantReadError:
                    break
                except ssl.SSLError as e:
                    raise self._ssl_error(e, "receive") from None
                if not chunk:
                    self._eof = True  # close_notify
                    break
                chunks.append(chunk)
                total += len(chunk)
            if self._out.pending and not self._send_lock.locked():
                # e.g. the answer to a KeyUpdate; a sender busy now sends it next, and
                # we must not wait for it (it may wait for the peer, who waits for us).
                await self._flush()
            if chunks:
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)
            if self._eof:
                return b""
            if not await self._read_transport():
                # EOF without close_notify: a normal end, as with the reference.
                self._eof = True
                return b""

    async def aclose(self) -> None:
        """Close without close_notify (the reference's quiet shutdown)."""
        if self._closed:
            return
        self._closed = True
        await self.transport.aclose()
