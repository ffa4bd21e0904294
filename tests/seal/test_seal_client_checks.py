"""The client's checks of an answer (spec 20 section 7.3 steps 4-9), without sockets."""

from __future__ import annotations

import attrs
import pytest

from cocoon.ratls.dcap import UnavailableVerifier
from cocoon.ratls.quote import (
    INTEL_QE_VENDOR_ID,
    AttestationData,
    SgxReportBody,
    TdxMeasurements,
    build_sgx_quote,
    parse_quote,
)
from cocoon.roles.seal import crypto
from cocoon.roles.seal.enclave import SoftwareEnclave
from cocoon.roles.seal.errors import SealMessageError, SealRefused
from cocoon.roles.seal.guest import FakeTdxGuest
from cocoon.roles.seal.insecure import (
    INSECURE_FAKE_MR_ENCLAVE,
    make_fake_sgx_quote,
    verify_fake_sgx_quote,
)
from cocoon.roles.seal.messages import GetPersistentKey, PersistentKey
from cocoon.roles.seal.request import EnclavePolicy, KeyRequest, SealMode, verify_sgx_quote

POLICY = EnclavePolicy({INSECURE_FAKE_MR_ENCLAVE})


def ask(request: KeyRequest, enclave: SoftwareEnclave | None = None) -> PersistentKey:
    payload = request.encode(FakeTdxGuest().make_report(request.report_data))
    return (enclave or SoftwareEnclave()).answer(GetPersistentKey.from_bytes(payload))


def open_fake(request: KeyRequest, answer: PersistentKey, policy: EnclavePolicy = POLICY) -> bytes:
    enclave = verify_sgx_quote(answer.sgx_quote, mode=SealMode.FAKE, verifier=None, now=0)
    return request.open(answer, enclave, policy)


def test_answer_for_another_requests_public_key_is_refused():
    mine, theirs = KeyRequest(b"app"), KeyRequest(b"app")
    with pytest.raises(SealRefused, match="another request's public key"):
        open_fake(mine, ask(theirs))


def test_replayed_answer_is_refused():
    first = KeyRequest(b"app")
    answer = ask(first)
    open_fake(first, answer)
    with pytest.raises(SealRefused, match="another request's public key"):
        open_fake(KeyRequest(b"app"), answer)


@pytest.mark.parametrize("index", [0, 63, 64, 95])
def test_tampered_encrypted_secret_is_refused(index):
    request = KeyRequest(b"app")
    answer = ask(request)
    secret = bytearray(answer.encrypted_secret)
    secret[index] ^= 1
    with pytest.raises(SealRefused, match="tampered"):
        open_fake(request, attrs.evolve(answer, encrypted_secret=bytes(secret)))


def test_wrong_enclave_identity_is_refused():
    request = KeyRequest(b"app")
    answer = ask(request, SoftwareEnclave(mr_enclave=b"\x66" * 32))
    with pytest.raises(SealRefused, match="MRENCLAVE validation failed: got 6666"):
        open_fake(request, answer)
    # An empty allow-list accepts no enclave; skipping validation accepts any.
    with pytest.raises(SealRefused, match="allowed: none"):
        open_fake(request, answer, EnclavePolicy())
    assert len(open_fake(request, answer, EnclavePolicy(skip_validation=True))) == 32


def test_a_secret_of_the_wrong_size_is_refused_even_if_bound():
    enclave = SoftwareEnclave()
    request = KeyRequest(b"app")
    answer = ask(request, enclave)
    secret = answer.encrypted_secret + bytes(16)
    quote = make_fake_sgx_quote(
        enclave.mr_enclave, crypto.sgx_report_data(request.public_key, secret)
    )
    with pytest.raises(SealMessageError, match="96 bytes"):
        open_fake(request, PersistentKey(quote, secret))


def _quote_variant(quote: bytes, **changes: bytes) -> bytes:
    raw = bytearray(quote)
    for where, value in changes.items():
        start = int(where.removeprefix("at"))
        raw[start : start + len(value)] = value
    return bytes(raw)


def test_fake_quote_verifier_accepts_only_the_fake_form():
    quote = ask(KeyRequest(b"app")).sgx_quote
    assert verify_fake_sgx_quote(quote).mr_enclave == INSECURE_FAKE_MR_ENCLAVE
    bad = {
        "vendor id": _quote_variant(quote, at12=INTEL_QE_VENDOR_ID),
        "signature": quote[:-4] + b"\x02\0\0\0ab",
        "version": _quote_variant(quote, at0=b"\x04\0"),
        "key type": _quote_variant(quote, at2=b"\x03\0"),
        "trailing": quote + b"\0",
        "tdx": _quote_variant(quote, at4=b"\x81"),
    }
    for name, variant in bad.items():
        with pytest.raises(SealRefused):
            verify_fake_sgx_quote(variant)
            pytest.fail(f"accepted a fake quote with a bad {name}")


class AcceptEverything:
    """A broken DCAP verifier that accepts any quote: real mode must not rely on it alone."""

    def verify(self, quote: bytes, now: int) -> AttestationData:
        return parse_quote(quote).attestation()


def test_real_mode_never_accepts_a_fake_quote():
    quote = ask(KeyRequest(b"app")).sgx_quote
    for verifier in (AcceptEverything(), UnavailableVerifier(), None):
        with pytest.raises(SealRefused, match="never accepted in real mode"):
            verify_sgx_quote(quote, mode=SealMode.REAL, verifier=verifier, now=0)


def test_real_mode_fails_closed_without_dcap():
    body = SgxReportBody(bytes(16), 0, bytes(16), b"\1" * 32, bytes(32), 0, 0, bytes(64))
    quote = build_sgx_quote(body, qe_vendor_id=INTEL_QE_VENDOR_ID, signature_data=b"sig")
    with pytest.raises(SealRefused, match="SGX quote verification failed: no DCAP"):
        verify_sgx_quote(quote, mode=SealMode.REAL, verifier=UnavailableVerifier("no DCAP"), now=0)
    measured = verify_sgx_quote(quote, mode=SealMode.REAL, verifier=AcceptEverything(), now=0)
    assert measured.mr_enclave == b"\1" * 32


def test_real_mode_refuses_a_tdx_quote_as_the_enclave():
    class TdxAnswer:
        def verify(self, quote: bytes, now: int) -> AttestationData:
            z = bytes(48)
            return AttestationData(
                TdxMeasurements(z, z, z, z, rtmr=(z,) * 4, report_data=bytes(64))
            )

    body = SgxReportBody(bytes(16), 0, bytes(16), b"\1" * 32, bytes(32), 0, 0, bytes(64))
    quote = build_sgx_quote(body, qe_vendor_id=INTEL_QE_VENDOR_ID)
    with pytest.raises(SealRefused, match="does not contain SGX"):
        verify_sgx_quote(quote, mode=SealMode.REAL, verifier=TdxAnswer(), now=0)


def test_a_report_made_for_another_key_is_not_sent():
    request = KeyRequest(b"app")
    with pytest.raises(SealRefused, match="not made for this request"):
        request.encode(FakeTdxGuest().make_report(bytes(64)))
