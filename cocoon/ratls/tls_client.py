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
from cocoon.ratls.tls_common import TlsError, TlsStreamBase

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


class ClientTlsStream(TlsStreamBase):
    """A TLS client connection over `transport` on the stdlib `ssl` module. Call
    `do_handshake()` once before use; the server's certificate is not checked there (see the
    module's doc)."""

    server_side = False

    def __init__(self, transport: trio.abc.Stream, context: ssl.SSLContext) -> None:
        super().__init__(transport)
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self._obj = context.wrap_bio(self._in, self._out, server_side=False)

    # --- the library's part ---

    def _drain(self) -> bytes:
        return self._out.read()

    def _feed(self, data: bytes) -> None:
        self._in.write(data)

    def _ssl_error(self, e: ssl.SSLError, during: str) -> TlsError:
        self._broken = f"TLS failed during {during}: {e}"
        return TlsError(f"TLS {during} failed: {e.reason or e}")

    def _handshake_step(self) -> bool:
        try:
            self._obj.do_handshake()
        except ssl.SSLWantReadError:
            return False
        except ssl.SSLError as e:
            raise self._ssl_error(e, "handshake") from None
        return True

    def _write(self, data: bytes | bytearray | memoryview) -> None:
        try:
            self._obj.write(data)  # the memory BIO takes all of it
        except ssl.SSLError as e:
            raise self._ssl_error(e, "send") from None

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
