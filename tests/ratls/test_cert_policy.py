"""RA-TLS certificates and policies: parity with the reference's certificates, and attacks."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

from cocoon.errors import AttestationError, ConfigError
from cocoon.ratls import cert as c
from cocoon.ratls.dcap import DcapUnavailable
from cocoon.ratls.identity import NOT_BEFORE_BACKDATE_SECONDS, Identity
from cocoon.ratls.policy import (
    AttestationCache,
    Policy,
    PolicyConfig,
    PolicyError,
    PolicyKind,
    builtin_policies,
    load_policy_file,
)
from cocoon.ratls.quote import (
    FAKE_IMAGE_HASH,
    INTEL_ROOT_KEY_ID,
    AttestationData,
    QuoteError,
    fake_quote_attestation,
    make_fake_quote,
    parse_quote,
    report_data_for_key,
)
from cocoon.ratls.tdx_guest import TdxGuest

REF_START = dt.datetime(2026, 11, 24, 19, 23, 42, tzinfo=dt.UTC).timestamp()


@pytest.fixture(scope="module")
def ref(shared_data):
    d = shared_data / "ref-certs"
    out = {}
    for name in ("ref-fake", "ref-none"):
        cert = x509.load_pem_x509_certificate((d / f"{name}_cert.pem").read_bytes())
        key = serialization.load_pem_private_key((d / f"{name}_key.pem").read_bytes(), None)
        out[name] = (cert, key)
    return out


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def test_our_builder_reproduces_the_reference_certificates(ref):
    for name, quoted in (("ref-fake", True), ("ref-none", False)):
        cert, key = ref[name]
        pub = c.raw_public_key(key)
        quote = make_fake_quote(report_data_for_key(pub)) if quoted else None
        mine = c.build_cert(
            key,
            quote,
            not_before=int(cert.not_valid_before_utc.timestamp()),
            serial=cert.serial_number,
        )
        assert mine == _der(cert)  # byte for byte, signature included


def test_reference_fake_cert_accepted_by_fake_tdx_policy(ref, shared_data):
    cert, _ = ref["ref-fake"]
    info = c.inspect_cert(_der(cert), now=REF_START + 3600, purpose=c.Purpose.SERVER)
    assert info.version == 1 and info.quote is not None and len(info.quote) == 64
    att = builtin_policies()["fake_tdx"].validate(info.quote, info.public_key, now=0)
    b64 = (shared_data / "ref-certs" / "ref-fake_image_hash.b64").read_text()
    assert att.image_hash == FAKE_IMAGE_HASH == base64.b64decode(b64)
    assert (shared_data / "ref-certs" / "ref-fake.tdx_report").read_bytes() == bytes(64)


def test_reference_none_cert_only_for_any(ref):
    cert, _ = ref["ref-none"]
    info = c.inspect_cert(_der(cert), now=REF_START + 60, purpose=c.Purpose.CLIENT)
    assert info.quote is None
    policies = builtin_policies()
    assert policies["any"].validate(None, info.public_key, now=0) == AttestationData(None)
    for name in ("fake_tdx", "tdx"):
        with pytest.raises(PolicyError, match="requires a TDX quote"):
            policies[name].validate(None, info.public_key, now=0)


def test_our_cert_has_the_reference_shape():
    ident = Identity.generate("fake", now=1_800_000_000)
    cert = x509.load_der_x509_certificate(ident.cert_der)
    assert cert.version == x509.Version.v1
    assert cert.issuer == cert.subject
    assert cert.subject.rfc4514_string() == (
        "CN=localhost,OU=Security,O=TDLib Development,ST=DUBAI,C=AE"
    )
    assert cert.not_valid_before_utc.timestamp() == 1_800_000_000
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).total_seconds() == 86400
    exts = {e.oid.dotted_string: e for e in cert.extensions}
    assert list(exts) == [
        c.OID_TDX_QUOTE, c.OID_TDX_USER_CLAIMS, "2.5.29.19", "2.5.29.15", "2.5.29.37",
        "2.5.29.14", "2.5.29.17",
    ]  # fmt: skip
    assert exts[c.OID_TDX_QUOTE].critical and exts[c.OID_TDX_USER_CLAIMS].critical
    assert exts[c.OID_TDX_QUOTE].value.value == hashlib.sha512(ident.public_key).digest()
    assert exts[c.OID_TDX_USER_CLAIMS].value.value == ident.public_key
    san = exts["2.5.29.17"].value
    assert san.get_values_for_type(x509.DNSName) == ["localhost", "127.0.0.1"]
    assert [str(i) for i in san.get_values_for_type(x509.IPAddress)] == ["::1"]
    assert not exts["2.5.29.17"].critical and exts["2.5.29.19"].critical
    assert exts["2.5.29.14"].value.digest == hashlib.sha1(ident.public_key).digest()
    assert "2.5.29.35" not in exts  # no AKI


def test_modes(tmp_path):
    assert Identity.generate(c.Mode.NONE).quote is None
    assert c.Mode.parse("fake") is c.Mode.FAKE_TDX is c.Mode.parse("fake_tdx")
    with pytest.raises(ValueError, match="unknown TDX mode"):
        c.Mode.parse("sgx")
    with pytest.raises(AttestationError, match="not supported"):
        Identity.generate("tdx", tdx=TdxGuest(tsm_root=str(tmp_path / "no-tsm")))


def test_a_fresh_certificate_is_valid_for_a_verifier_whose_clock_lags():
    """OpenSSL reads the coarse kernel clock, which may still show the previous second: a
    certificate dated to the current second was then refused as "not yet valid" by a peer
    on the same machine (about 1 handshake in 300 in CI)."""
    before = time.time()
    ident = Identity.generate("fake")
    start = ident.info.not_before.timestamp()
    assert before - NOT_BEFORE_BACKDATE_SECONDS - 1 <= start <= before - NOT_BEFORE_BACKDATE_SECONDS
    assert ident.not_after.timestamp() - start == c.CertConfig().validity_seconds
    c.inspect_cert(ident.cert_der, now=before - 1)  # a verifier one second behind accepts it


# --- attacks on certificates ---


def _builder(key, *, issuer=None, not_before=None, not_after=None):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    start = not_before or dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(not_after or start + dt.timedelta(days=1))
    )


def _sign(builder, key) -> bytes:
    algo = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(key, algo).public_bytes(serialization.Encoding.DER)


NOW = dt.datetime(2030, 1, 1, 12, tzinfo=dt.UTC).timestamp()


def test_expired_and_not_yet_valid():
    ident = Identity.generate("fake", now=int(NOW))
    c.inspect_cert(ident.cert_der, now=NOW + 86399)
    with pytest.raises(c.CertificateError, match="expired"):
        c.inspect_cert(ident.cert_der, now=NOW + 86401)
    with pytest.raises(c.CertificateError, match="not yet valid"):
        c.inspect_cert(ident.cert_der, now=NOW - 1)


def test_chain_instead_of_self_signed():
    ca_key, leaf_key = ed25519.Ed25519PrivateKey.generate(), ed25519.Ed25519PrivateKey.generate()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "some CA")])
    leaf = _sign(_builder(leaf_key, issuer=ca_name), ca_key)
    with pytest.raises(c.CertificateError, match="self-signed"):
        c.inspect_cert(leaf, now=NOW)
    # same names, but signed by another key and with an AKI naming it
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())
    forged = _sign(_builder(leaf_key).add_extension(aki, critical=False), ca_key)
    with pytest.raises(c.CertificateError, match="AKI"):
        c.inspect_cert(forged, now=NOW)
    # same names, no AKI, signature by another key
    with pytest.raises(c.CertificateError, match="self-signature"):
        c.inspect_cert(_sign(_builder(leaf_key), ca_key), now=NOW)


def test_non_ed25519_key():
    key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(c.CertificateError, match="Ed25519"):
        c.inspect_cert(_sign(_builder(key), key), now=NOW)


def test_unknown_critical_extension():
    key = ed25519.Ed25519PrivateKey.generate()
    ext = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.12345.3"), b"x")
    with pytest.raises(
        c.CertificateError, match=r"unknown critical extension 1\.3\.6\.1\.4\.1\.12345\.3"
    ):
        c.inspect_cert(_sign(_builder(key).add_extension(ext, critical=True), key), now=NOW)
    # the same extension non-critical is ignored
    c.inspect_cert(_sign(_builder(key).add_extension(ext, critical=False), key), now=NOW)


def test_oversized_quote_and_garbage():
    key = ed25519.Ed25519PrivateKey.generate()
    ext = x509.UnrecognizedExtension(x509.ObjectIdentifier(c.OID_TDX_QUOTE), bytes(32769))
    with pytest.raises(c.CertificateError, match="exceeds 32768"):
        c.inspect_cert(_sign(_builder(key).add_extension(ext, critical=True), key), now=NOW)
    with pytest.raises(c.CertificateError, match="does not parse"):
        c.inspect_cert(b"\x30\x03garbage")


def test_purpose():
    key = ed25519.Ed25519PrivateKey.generate()
    eku = x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH])
    der = _sign(_builder(key).add_extension(eku, critical=True), key)
    c.inspect_cert(der, now=NOW, purpose=c.Purpose.CLIENT)
    with pytest.raises(c.CertificateError, match="server"):
        c.inspect_cert(der, now=NOW, purpose=c.Purpose.SERVER)


# --- policies ---


def _fake_peer():
    ident = Identity.generate("fake")
    return ident.quote, ident.public_key


def test_quote_reused_with_another_key():
    quote, _ = _fake_peer()
    _, other_key = _fake_peer()
    with pytest.raises(PolicyError, match="report data mismatch"):
        builtin_policies()["fake_tdx"].validate(quote, other_key, now=0)


def test_any_refuses_a_present_quote_not_bound_to_the_key(shared_data):
    any_ = builtin_policies()["any"]
    quote, key = _fake_peer()
    _, other_key = _fake_peer()
    assert any_.validate(quote, key, now=0) == AttestationData(None)
    assert any_.validate(None, other_key, now=0) == AttestationData(None)
    with pytest.raises(PolicyError, match="report data mismatch"):
        any_.validate(quote, other_key, now=0)
    sample = (shared_data / "tdx-quote-sample.dat").read_bytes()  # bound to some other key
    with pytest.raises(PolicyError, match="report data mismatch"):
        any_.validate(sample, key, now=0)
    with pytest.raises(PolicyError, match="unreadable quote"):
        any_.validate(b"\x01" * 100, key, now=0)


def test_truncated_fake_quote():
    quote, key = _fake_peer()
    with pytest.raises(QuoteError, match="fake quote size"):
        builtin_policies()["fake_tdx"].validate(quote[:63], key, now=0)


def test_image_hash_and_mrtd_allow_lists():
    quote, key = _fake_peer()
    ok = Policy("p", PolicyKind.FAKE_TDX, PolicyConfig(allowed_image_hashes=[FAKE_IMAGE_HASH]))
    assert ok.validate(quote, key, now=0).image_hash == FAKE_IMAGE_HASH
    wrong = Policy("p", PolicyKind.FAKE_TDX, PolicyConfig(allowed_image_hashes=[b"\x01" * 32]))
    with pytest.raises(PolicyError, match="image hash 5c55c8f4"):
        wrong.validate(quote, key, now=0)
    mrtd = Policy("p", PolicyKind.FAKE_TDX, PolicyConfig(allowed_mrtd=["ab" * 48]))
    with pytest.raises(PolicyError, match="MRTD"):
        mrtd.validate(quote, key, now=0)
    rtmr = Policy("p", PolicyKind.FAKE_TDX, PolicyConfig(allowed_rtmr=[[b"\x01" * 48] * 4]))
    with pytest.raises(PolicyError, match="RTMR"):
        rtmr.validate(quote, key, now=0)
    zero = Policy("p", PolicyKind.FAKE_TDX, PolicyConfig(allowed_rtmr=[[bytes(48)] * 4]))
    zero.validate(quote, key, now=0)
    # fake quotes have a zero collateral root: a collateral list always fails
    roots = Policy("p", PolicyKind.FAKE_TDX, PolicyConfig(allowed_collateral_root_hashes=[INTEL_ROOT_KEY_ID]))  # fmt: skip
    with pytest.raises(PolicyError, match="collateral root"):
        roots.validate(quote, key, now=0)


def test_any_with_image_hashes_is_a_misconfiguration():
    p = Policy("a", PolicyKind.ANY, PolicyConfig(allowed_image_hashes=[FAKE_IMAGE_HASH]))
    with pytest.raises(PolicyError, match="type any"):
        p.validate(None, bytes(32), now=0)


def test_policy_config_validation():
    with pytest.raises(ConfigError, match="64 characters"):
        PolicyConfig(allowed_image_hashes=["abcd"])
    with pytest.raises(ConfigError, match="four registers"):
        PolicyConfig(allowed_rtmr=[[bytes(48)] * 3])
    with pytest.raises(ConfigError, match="policy type"):
        PolicyKind.parse("sgx")


class _Verifier:
    """A stand-in DCAP verifier: the sample quote verifies, with a given root key id."""

    def __init__(self, root: bytes) -> None:
        self.root, self.calls = root, 0

    def verify(self, quote: bytes, now: int) -> AttestationData:
        self.calls += 1
        return parse_quote(quote).attestation(self.root)


def test_tdx_policy_with_cache_and_root_pinning(shared_data):
    sample = (shared_data / "tdx-quote-sample.dat").read_bytes()
    cache = AttestationCache(max_entries=2)
    verifier = _Verifier(INTEL_ROOT_KEY_ID)
    tdx = builtin_policies(verifier=verifier, cache=cache)["tdx"]
    assert tdx.may_block
    # the sample's REPORTDATA is not SHA-512 of any key we have: quote stolen -> rejected
    with pytest.raises(PolicyError, match="report data mismatch"):
        tdx.validate(sample, bytes(32), now=0)
    with pytest.raises(PolicyError, match="report data mismatch"):
        tdx.validate(sample, bytes(32), now=0)
    assert verifier.calls == 1 and len(cache) == 1  # verified once, then cached
    other_root = builtin_policies(verifier=_Verifier(b"\x07" * 48))["tdx"]
    with pytest.raises(PolicyError, match="report data"):
        other_root.validate(sample, bytes(32), now=0)
    for i in range(3):
        cache.put(bytes([i]), AttestationData(None))
    assert len(cache) == 2 and cache.get(sample) is None  # bounded, LRU


def test_tdx_root_pinning_after_binding():
    # a quote that binds correctly but chains to another root
    _, key = _fake_peer()
    rd = report_data_for_key(key)

    class Rooted:
        def verify(self, quote, now):
            att = fake_quote_attestation(rd)
            return AttestationData(att.measurements, b"\x07" * 48)

    with pytest.raises(PolicyError, match="collateral root 0707"):
        builtin_policies(verifier=Rooted())["tdx"].validate(b"q", key, now=0)
    custom = builtin_policies(verifier=Rooted(), collateral_root_hashes=[b"\x07" * 48])["tdx"]
    assert custom.validate(b"q", key, now=0).collateral_root_hash == b"\x07" * 48


def test_tdx_policy_without_dcap_fails_closed():
    quote, key = _fake_peer()
    with pytest.raises(DcapUnavailable):
        builtin_policies()["tdx"].validate(quote, key, now=0)


def test_named_policies_from_a_file(tmp_path):
    path = tmp_path / "router.json"
    z = "00" * 48
    workers = {
        "name": "workers",
        "type": "fake_tdx",
        "description": "fake workers",
        "tdx_config": {
            "allowed_image_hashes": FAKE_IMAGE_HASH.hex(),
            "allowed_mrtd": [1, z],  # non-strings are skipped, like the reference
            "allowed_rtmr": [[z, z, z, z], [z]],  # sets not of four are skipped
        },
    }
    path.write_text(json.dumps({"policies": [workers, {"name": "clients", "type": "any"}]}))
    policies = load_policy_file(path)
    assert set(policies) == {"workers", "clients"}
    workers = policies["workers"]
    assert workers.kind is PolicyKind.FAKE_TDX and workers.description == "fake workers"
    assert workers.config.allowed_image_hashes == {FAKE_IMAGE_HASH}
    assert workers.config.allowed_mrtd == {bytes(48)} and len(workers.config.allowed_rtmr) == 1
    quote, key = _fake_peer()
    workers.validate(quote, key, now=0)
    path.write_text('{"policies": [{"name": "x", "type": "bogus"}]}')
    with pytest.raises(ConfigError, match="bogus"):
        load_policy_file(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_policy_file(tmp_path / "missing.json")


# --- identity files ---


def test_identity_files_round_trip(tmp_path):
    ident = Identity.generate("fake_tdx")
    ident.write(tmp_path / "node")
    assert (tmp_path / "node_key.pem").read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    loaded = Identity.load(tmp_path / "node")
    assert loaded.cert_der == ident.cert_der and loaded.public_key == ident.public_key
    other = Identity.generate("none")
    (tmp_path / "node_key.pem").write_bytes(other.key_pem())
    with pytest.raises(ConfigError, match="does not match"):
        Identity.load(tmp_path / "node")
    with pytest.raises(ConfigError, match="cannot read"):
        Identity.load(tmp_path / "absent")


def test_reference_identity_loads(shared_data):
    ident = Identity.load(shared_data / "ref-certs" / "ref-fake")
    assert ident.info.version == 1 and ident.quote == report_data_for_key(ident.public_key)
