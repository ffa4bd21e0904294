"""Our side of RA-TLS: an Ed25519 key and the self-signed certificate that carries its quote.

    identity = Identity.generate(Mode.FAKE_TDX)              # fresh key, fake quote, 1 day
    identity = Identity.load("/etc/tdx/tdx")                 # tdx_cert.pem + tdx_key.pem
    identity.write("/etc/tdx/tdx")                           # key first, cert last, atomic

Generating a `tdx` identity asks the TDX module for a quote (blocking kernel I/O; call it
from a thread in async code).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from pathlib import Path

import attrs
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from cocoon.errors import ConfigError
from cocoon.ratls.cert import CertConfig, CertInfo, Mode, build_cert, inspect_cert, raw_public_key
from cocoon.ratls.quote import make_fake_quote, report_data_for_key
from cocoon.ratls.tdx_guest import TdxGuest

# notBefore of a certificate generated "now" lies this far in the past. Verifiers (OpenSSL
# included) allow no skew, and OpenSSL reads the coarse kernel clock, which can still show the
# previous second for a few milliseconds after Python's clock has moved on: a certificate
# dated to the current second is then "not yet valid" for a peer on the same machine.
# Spec 20 section 9.1 calls this backdating harmless for interoperability.
NOT_BEFORE_BACKDATE_SECONDS = 60


@attrs.frozen(eq=False)
class Identity:
    key: ed25519.Ed25519PrivateKey = attrs.field(repr=False)
    cert_der: bytes = attrs.field(repr=False)
    info: CertInfo

    @classmethod
    def from_der(cls, key: ed25519.Ed25519PrivateKey, cert_der: bytes) -> Identity:
        info = inspect_cert(cert_der)
        if raw_public_key(key) != info.public_key:
            raise ConfigError("the private key does not match the certificate")
        return cls(key, cert_der, info)

    @classmethod
    def generate(
        cls,
        mode: Mode | str,
        *,
        now: int | None = None,
        config: CertConfig = CertConfig(),
        tdx: TdxGuest | None = None,
    ) -> Identity:
        """A fresh key and certificate (spec 20 section 2.6). `now` is notBefore when given;
        otherwise notBefore is the current time less NOT_BEFORE_BACKDATE_SECONDS."""
        mode = Mode.parse(mode) if isinstance(mode, str) else mode
        key = ed25519.Ed25519PrivateKey.generate()
        rd = report_data_for_key(raw_public_key(key))
        if mode is Mode.NONE:
            quote = None
        elif mode is Mode.FAKE_TDX:
            quote = make_fake_quote(rd)
        else:
            quote = (tdx or TdxGuest()).make_quote(rd)
        start = int(time.time()) - NOT_BEFORE_BACKDATE_SECONDS if now is None else int(now)
        return cls.from_der(key, build_cert(key, quote, not_before=start, config=config))

    @property
    def public_key(self) -> bytes:
        return self.info.public_key

    @property
    def quote(self) -> bytes | None:
        return self.info.quote

    @property
    def not_after(self) -> dt.datetime:
        return self.info.not_after

    def cert_pem(self) -> bytes:
        return x509.load_der_x509_certificate(self.cert_der).public_bytes(
            serialization.Encoding.PEM
        )

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @classmethod
    def from_pem(cls, cert_pem: bytes, key_pem: bytes) -> Identity:
        try:
            cert = x509.load_pem_x509_certificate(cert_pem)
            key = serialization.load_pem_private_key(key_pem, password=None)
        except ValueError as e:
            raise ConfigError(f"cannot load certificate or key: {e}") from e
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise ConfigError("the private key must be Ed25519")
        return cls.from_der(key, cert.public_bytes(serialization.Encoding.DER))

    @classmethod
    def load(cls, base: str | Path) -> Identity:
        """Load `BASE_cert.pem` and `BASE_key.pem` (the reference's `-C BASE`)."""
        cert_path, key_path = cert_paths(base)
        try:
            return cls.from_pem(cert_path.read_bytes(), key_path.read_bytes())
        except OSError as e:
            raise ConfigError(f"cannot read {cert_path} / {key_path}: {e}") from e

    def write(self, base: str | Path) -> None:
        """Write both PEM files atomically, key first and cert last (spec 20 section 9.3)."""
        cert_path, key_path = cert_paths(base)
        atomic_write(key_path, self.key_pem(), mode=0o600)
        atomic_write(cert_path, self.cert_pem())


def cert_paths(base: str | Path) -> tuple[Path, Path]:
    base = str(base)
    return Path(base + "_cert.pem"), Path(base + "_key.pem")


def atomic_write(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=path.name + ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
