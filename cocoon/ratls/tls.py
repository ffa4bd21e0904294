"""TLS 1.3 over any `trio.abc.Stream`, on pyOpenSSL with memory BIOs (spec 20 section 5).

The stdlib `ssl` module cannot accept a self-signed client certificate carrying unknown
critical extensions (it has no verify callback), so the accepting side is our own `SSLStream`:
OpenSSL consumes and produces bytes in memory, and this wrapper moves them over the transport.
The dialing side needs no such callback and runs on the stdlib (`cocoon.ratls.tls_client`).

Profile (both roles, one context per identity and side): TLS 1.3 only, AES-GCM suites, no
tickets, our certificate always sent, peer certificate required, verify depth 1, no trust
store. OpenSSL's own verification may fail only with "self-signed" (18) or "unhandled
critical extension" (34); every other error (validity dates, purpose, chains) aborts the
handshake. The RA-TLS checks proper (certificate rules and the policy) run right after the
handshake, before the stream is handed to anyone (`cocoon.ratls.connect`).

Closing never sends close_notify (the reference never does) and an EOF without one is a
normal EOF. Concurrency: one task may send while another receives.
"""

from __future__ import annotations

import functools
import logging

import trio
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from OpenSSL import SSL

from cocoon.errors import AttestationError
from cocoon.ratls.identity import Identity
from cocoon.ratls.tls_common import TlsError, TlsStreamBase

log = logging.getLogger("cocoon.ratls.tls")

CIPHERSUITES = b"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384"
# OpenSSL verify errors the reference tolerates: the peer's certificate is its own issuer,
# and it carries the TDX extensions OpenSSL does not know.
X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT = 18
X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION = 34
TOLERATED_VERIFY_ERRORS = frozenset(
    {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION}
)
_VERIFY_ERROR_TEXT = {
    9: "certificate is not yet valid",
    10: "certificate has expired",
    19: "self-signed certificate in chain (a chain, not a single self-signed certificate)",
    20: "unable to get issuer certificate (not self-signed)",
    22: "certificate chain too long",
    26: "unsupported certificate purpose",
}
BIO_CHUNK = 64 * 1024  # under glibc's mmap threshold, as RECEIVE_SIZE (see tls_common)


class PeerCertificateRejected(TlsError, AttestationError):
    """OpenSSL's verification of the peer certificate failed with an error we do not accept."""


@functools.lru_cache(maxsize=8)
def make_context(identity: Identity, *, server_side: bool) -> SSL.Context:
    """The context with the reference's TLS profile and our certificate and key; one per
    identity and side, shared by its connections (a context each cost a handshake's worth
    of CPU and tens of KiB per open connection). A refreshed identity gets new ones."""
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_min_proto_version(SSL.TLS1_3_VERSION)
    ctx.set_options(SSL.OP_NO_TICKET | SSL.OP_NO_SSLv2 | SSL.OP_NO_SSLv3)
    ctx.set_tls13_ciphersuites(CIPHERSUITES)
    ctx.set_session_cache_mode(SSL.SESS_CACHE_OFF)
    ctx.set_mode(SSL.MODE_RELEASE_BUFFERS)  # idle connections keep no record buffers
    ctx.use_certificate(x509.load_der_x509_certificate(identity.cert_der))
    ctx.use_privatekey(identity.key)
    ctx.check_privatekey()
    mode = SSL.VERIFY_PEER
    if server_side:
        mode |= SSL.VERIFY_FAIL_IF_NO_PEER_CERT
    ctx.set_verify(mode, _verify_callback)
    ctx.set_verify_depth(1)
    return ctx


def _verify_callback(conn: SSL.Connection, cert: object, errno: int, depth: int, ok: int) -> bool:
    if ok or errno in TOLERATED_VERIFY_ERRORS:
        return True
    stream = conn.get_app_data()
    if isinstance(stream, TlsStream) and stream._verify_error is None:
        text = _VERIFY_ERROR_TEXT.get(errno, f"X509 verify error {errno}")
        stream._verify_error = f"{text} (depth {depth})"
    return False


class TlsStream(TlsStreamBase):
    """A TLS connection over `transport` on pyOpenSSL (the accepting side; it can verify a
    self-signed client certificate). Call `do_handshake()` once before use; raises
    PeerCertificateRejected for bad certificates.

    `initial_data` is what was already read from the transport and belongs to TLS (bytes
    that arrived with the proof of work).
    """

    def __init__(
        self,
        transport: trio.abc.Stream,
        context: SSL.Context,
        *,
        server_side: bool,
        initial_data: bytes = b"",
    ) -> None:
        super().__init__(transport)
        self.server_side = server_side
        self._conn = SSL.Connection(context, None)
        self._conn.set_app_data(self)
        if server_side:
            self._conn.set_accept_state()
        else:
            self._conn.set_connect_state()
        if initial_data:
            self._conn.bio_write(initial_data)
        self._verify_error: str | None = None
        self._pending_out: list[bytes] = []  # drained outside the send lock, not yet sent
        # Bytes fed since OpenSSL last wanted more: only then can a read return anything (a
        # read that cannot costs an SSL.WantReadError, and so does the check for outgoing
        # records after it).
        self._unread = True

    # --- the library's part ---

    def _drain(self) -> bytes:
        out, self._pending_out = self._pending_out, []
        while True:
            try:
                chunk = self._conn.bio_read(BIO_CHUNK)
            except SSL.WantReadError:
                break
            out.append(chunk)
            if len(chunk) < BIO_CHUNK:
                # A memory BIO hands out all it holds up to the size asked: it is empty now,
                # and asking again would only raise WantReadError (a few us each time).
                break
        return out[0] if len(out) == 1 else b"".join(out)

    def _feed(self, data: bytes) -> None:
        self._conn.bio_write(data)
        self._unread = True

    def _ssl_error(self, e: SSL.Error, during: str) -> TlsError:
        self._broken = f"TLS failed during {during}: {e}"
        if self._verify_error is not None:
            return PeerCertificateRejected(f"peer certificate rejected: {self._verify_error}")
        return TlsError(f"TLS {during} failed: {_describe(e)}")

    def _handshake_step(self) -> bool:
        try:
            self._conn.do_handshake()
        except SSL.WantReadError:
            return False
        except SSL.Error as e:
            raise self._ssl_error(e, "handshake") from None
        return True

    def _write(self, data: bytes | bytearray | memoryview) -> None:
        try:
            self._conn.sendall(bytes(data))
        except SSL.Error as e:
            raise self._ssl_error(e, "send") from None

    def peer_certificate_der(self) -> bytes | None:
        cert = self._conn.get_peer_certificate(as_cryptography=True)
        return None if cert is None else cert.public_bytes(Encoding.DER)

    @property
    def cipher(self) -> str | None:
        return self._conn.get_cipher_name()

    @property
    def version(self) -> str:
        return self._conn.get_protocol_version_name()

    async def _receive_locked(self, max_bytes: int) -> bytes:
        while True:
            if self._eof:
                return b""
            chunks, total = [], 0
            if self._unread:
                try:
                    while total < max_bytes:
                        chunk = self._conn.recv(max_bytes - total)
                        chunks.append(chunk)
                        total += len(chunk)
                except SSL.WantReadError:
                    self._unread = False
                except SSL.ZeroReturnError:
                    self._eof = True  # close_notify
                except SSL.Error as e:
                    raise self._ssl_error(e, "receive") from None
                if self._take_outgoing() and not self._send_lock.locked():
                    # e.g. the answer to a KeyUpdate; a sender busy now sends it next, and
                    # we must not wait for it (it may wait for the peer, who waits for us).
                    await self._flush()
            if chunks:
                return b"".join(chunks)
            if self._eof:
                return b""
            if not await self._read_transport():
                # EOF without close_notify: a normal end, as with the reference.
                self._eof = True
                return b""

    def _take_outgoing(self) -> bool:
        # pyOpenSSL cannot tell whether the write BIO holds bytes; take them, and let the
        # next flush send them after anything drained before.
        try:
            data = self._conn.bio_read(BIO_CHUNK)
        except SSL.WantReadError:
            return False
        self._pending_out.append(data)
        return True


def _describe(e: SSL.Error) -> str:
    try:
        reasons = [r[2] for r in e.args[0] if len(r) >= 3]
    except (IndexError, TypeError):
        reasons = []
    return ", ".join(str(r) for r in reasons) or repr(e)
