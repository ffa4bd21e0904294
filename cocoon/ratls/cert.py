"""RA-TLS certificates (sans-IO): build them as the reference's gen-cert does, and inspect a
peer's certificate by the rules of its verify callback (spec 20 sections 2 and 5.2).

    der = build_cert(key, quote, not_before=now)     # self-signed, Ed25519, X.509 v1 + extensions
    info = inspect_cert(der, now=time.time())        # raises CertificateError, or CertInfo

A certificate binds its Ed25519 key to a TDX quote: the quote's REPORTDATA must be the
SHA-512 of the 32 raw public-key bytes. The quote sits in the critical private extension
1.3.6.1.4.1.12345.1 as raw bytes; 1.3.6.1.4.1.12345.2 repeats the public key (verifiers ignore
it and take the key from SubjectPublicKeyInfo, as the reference does).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import ipaddress
import secrets

import attrs
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

from cocoon.errors import AttestationError
from cocoon.ratls import _der as der
from cocoon.ratls.quote import MAX_QUOTE_SIZE

OID_TDX_QUOTE = "1.3.6.1.4.1.12345.1"
OID_TDX_USER_CLAIMS = "1.3.6.1.4.1.12345.2"
OID_ED25519 = "1.3.101.112"
MAX_VALIDITY_SECONDS = 1 << 30

# Critical extensions OpenSSL handles itself (its X509_supported_extension list); any other
# critical extension except the two TDX ones makes the reference reject the certificate.
_OPENSSL_SUPPORTED = frozenset(
    {
        "2.16.840.1.113730.1.1",  # netscape cert type
        "2.5.29.15",  # key usage
        "2.5.29.17",  # subject alt name
        "2.5.29.19",  # basic constraints
        "2.5.29.32",  # certificate policies
        "2.5.29.31",  # CRL distribution points
        "2.5.29.37",  # extended key usage
        "1.3.6.1.5.5.7.1.7",  # RFC 3779 IP address blocks
        "1.3.6.1.5.5.7.1.8",  # RFC 3779 AS identifiers
        "2.5.29.36",  # policy constraints
        "1.3.6.1.5.5.7.1.14",  # proxy cert info
        "2.5.29.30",  # name constraints
        "2.5.29.33",  # policy mappings
        "2.5.29.54",  # inhibit any policy
    }
)
_ALLOWED_CRITICAL = _OPENSSL_SUPPORTED | {OID_TDX_QUOTE, OID_TDX_USER_CLAIMS}


class CertificateError(AttestationError):
    """A peer certificate breaks the RA-TLS rules (not self-signed, wrong key type, expired,
    unknown critical extension, oversized quote, unparsable)."""


class Mode(enum.Enum):
    """What goes into the quote extension (spec 20 section 2.5)."""

    NONE = "none"
    FAKE_TDX = "fake_tdx"
    TDX = "tdx"

    @classmethod
    def parse(cls, text: str) -> Mode:
        text = {"fake": "fake_tdx"}.get(text, text)
        try:
            return cls(text)
        except ValueError:
            raise ValueError(f"unknown TDX mode {text!r} (none, fake_tdx or tdx)") from None


class Purpose(enum.Enum):
    """Which TLS role the certificate is checked for (OpenSSL's sslserver / sslclient)."""

    SERVER = "server"
    CLIENT = "client"


@attrs.frozen
class CertConfig:
    """Defaults of the reference's CertConfig."""

    country: str = "AE"
    state: str = "DUBAI"
    locality: str = ""
    organization: str = "TDLib Development"
    organizational_unit: str = "Security"
    common_name: str = "localhost"
    # Classified as the reference does: "127.0.0.1" becomes a DNS name, which is what the
    # C++ client's host check needs (spec 20 section 2.3).
    san: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
    validity_seconds: int = attrs.field(
        default=86400, validator=[attrs.validators.ge(1), attrs.validators.le(MAX_VALIDITY_SECONDS)]
    )


def _name(config: CertConfig) -> bytes:
    def rdn(oid: str, value: str, tag: int) -> bytes:
        return der.tlv(0x31, der.sequence(der.oid(oid), der.tlv(tag, value.encode())))

    rdns = [rdn("2.5.4.6", config.country, 0x13), rdn("2.5.4.8", config.state, 0x0C)]
    if config.locality:
        rdns.append(rdn("2.5.4.7", config.locality, 0x0C))
    rdns += [
        rdn("2.5.4.10", config.organization, 0x0C),
        rdn("2.5.4.11", config.organizational_unit, 0x0C),
        rdn("2.5.4.3", config.common_name, 0x0C),
    ]
    return der.sequence(*rdns)


def _san(entries: tuple[str, ...]) -> bytes:
    names = []
    for entry in entries:
        # The reference's text rule: ':' (and not localhost) -> IP; '.' or localhost -> DNS.
        if ":" in entry and entry != "localhost":
            names.append(der.implicit_primitive(7, ipaddress.ip_address(entry).packed))
        elif "." in entry or entry == "localhost":
            names.append(der.implicit_primitive(2, entry.encode()))
        else:
            names.append(der.implicit_primitive(7, ipaddress.ip_address(entry).packed))
    return der.sequence(*names)


def _extension(oid: str, critical: bool, value: bytes) -> bytes:
    parts = [der.oid(oid)]
    if critical:
        parts.append(der.boolean(True))
    return der.sequence(*parts, der.octet_string(value))


def raw_public_key(key: ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, ed25519.Ed25519PrivateKey) else key
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def build_cert(
    key: ed25519.Ed25519PrivateKey,
    quote: bytes | None,
    *,
    not_before: int,
    config: CertConfig = CertConfig(),
    serial: int | None = None,
) -> bytes:
    """A DER certificate exactly as the reference's `generate_cert_and_key` makes it.

    `quote` (None for mode `none`) must be bound to `key` by the caller (see `Identity`);
    it is stored raw in the critical TDX_QUOTE extension, next to the raw public key.
    """
    if not_before < 0 or not_before + config.validity_seconds >= 1 << 32:
        raise ValueError("certificate validity must fit in u32 seconds")
    if quote is not None and len(quote) > MAX_QUOTE_SIZE:
        raise ValueError(f"quote of {len(quote)} bytes exceeds {MAX_QUOTE_SIZE}")
    pub = raw_public_key(key)
    if serial is None:
        serial = int.from_bytes(secrets.token_bytes(16), "big")
    start = dt.datetime.fromtimestamp(not_before, dt.UTC)
    end = dt.datetime.fromtimestamp(not_before + config.validity_seconds, dt.UTC)
    algorithm = der.sequence(der.oid(OID_ED25519))
    name = _name(config)
    extensions = []
    if quote is not None:
        extensions.append(_extension(OID_TDX_QUOTE, True, quote))
        extensions.append(_extension(OID_TDX_USER_CLAIMS, True, pub))
    extensions += [
        _extension("2.5.29.19", True, der.sequence()),  # CA:FALSE
        _extension("2.5.29.15", True, der.bit_string(b"\x80", 7)),  # digitalSignature
        _extension(
            "2.5.29.37",
            True,
            der.sequence(der.oid("1.3.6.1.5.5.7.3.1"), der.oid("1.3.6.1.5.5.7.3.2")),
        ),
        _extension("2.5.29.14", False, der.octet_string(hashlib.sha1(pub).digest())),
        _extension("2.5.29.17", False, _san(config.san)),
    ]
    # Version 1 (the field left out) with extensions: what the reference's tool emits.
    tbs = der.sequence(
        der.integer(serial),
        algorithm,
        name,
        der.sequence(der.time(start), der.time(end)),
        name,
        der.sequence(algorithm, der.bit_string(pub)),
        der.explicit(3, der.sequence(*extensions)),
    )
    return der.sequence(tbs, algorithm, der.bit_string(key.sign(tbs)))


@attrs.frozen
class CertInfo:
    """What a verified RA-TLS certificate says."""

    der: bytes = attrs.field(repr=False)
    public_key: bytes  # 32 raw Ed25519 bytes: the user claims
    quote: bytes | None
    not_before: dt.datetime
    not_after: dt.datetime
    version: int  # 1 or 3


def inspect_cert(
    data: bytes, *, now: float | None = None, purpose: Purpose | None = None
) -> CertInfo:
    """Check a peer certificate by the reference's verify-callback rules.

    Accepted: self-signed (issuer == subject, no mismatching AKI, valid self-signature),
    Ed25519, within validity at `now` (skipped when None), only known critical extensions,
    quote at most 32 KiB, key usages fit for `purpose`. The quote is returned unchecked: the
    policy validates it.
    """
    try:
        cert = x509.load_der_x509_certificate(bytes(data))
        extensions = cert.extensions
    except ValueError as e:
        raise CertificateError(f"certificate does not parse: {e}") from e
    if cert.issuer.public_bytes() != cert.subject.public_bytes():
        raise CertificateError("only self-signed certificates are accepted (issuer != subject)")
    key = cert.public_key()
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise CertificateError(f"peer key must be Ed25519, not {type(key).__name__}")
    pub = raw_public_key(key)
    _check_aki(extensions, pub)
    try:
        key.verify(cert.signature, cert.tbs_certificate_bytes)
    except InvalidSignature:
        raise CertificateError("certificate self-signature is invalid") from None
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    if now is not None:
        moment = dt.datetime.fromtimestamp(now, dt.UTC)
        if moment < not_before:
            raise CertificateError(
                f"certificate is not yet valid (from {not_before:%Y-%m-%d %H:%M:%S})"
            )
        if moment > not_after:
            raise CertificateError(f"certificate has expired (at {not_after:%Y-%m-%d %H:%M:%S})")
    quote = None
    for ext in extensions:
        oid = ext.oid.dotted_string
        if ext.critical and oid not in _ALLOWED_CRITICAL:
            raise CertificateError(f"unknown critical extension {oid}")
        if oid == OID_TDX_QUOTE:
            quote = ext.value.value
            if len(quote) > MAX_QUOTE_SIZE:
                raise CertificateError(f"quote of {len(quote)} bytes exceeds {MAX_QUOTE_SIZE}")
    if purpose is not None:
        _check_purpose(extensions, purpose)
    version = 1 if cert.version == x509.Version.v1 else 3
    return CertInfo(bytes(data), pub, quote, not_before, not_after, version)


def _check_aki(extensions: x509.Extensions, pub: bytes) -> None:
    # OpenSSL treats a certificate whose AKI differs from its SKI as issued by someone else.
    try:
        aki = extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_KEY_IDENTIFIER).value
    except x509.ExtensionNotFound:
        return
    try:
        ski = extensions.get_extension_for_oid(ExtensionOID.SUBJECT_KEY_IDENTIFIER).value.digest
    except x509.ExtensionNotFound:
        ski = hashlib.sha1(pub).digest()
    if aki.key_identifier is not None and aki.key_identifier != ski:
        raise CertificateError("only self-signed certificates are accepted (AKI != SKI)")


def _check_purpose(extensions: x509.Extensions, purpose: Purpose) -> None:
    wanted = (
        ExtendedKeyUsageOID.SERVER_AUTH
        if purpose is Purpose.SERVER
        else (ExtendedKeyUsageOID.CLIENT_AUTH)
    )
    try:
        eku = extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE).value
    except x509.ExtensionNotFound:
        eku = None
    if (
        eku is not None
        and wanted not in eku
        and ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE not in eku
    ):
        raise CertificateError(f"certificate is not for TLS {purpose.value} use (EKU)")
    try:
        ku = extensions.get_extension_for_oid(ExtensionOID.KEY_USAGE).value
    except x509.ExtensionNotFound:
        return
    if not ku.digital_signature:
        raise CertificateError("certificate key usage lacks digitalSignature")
