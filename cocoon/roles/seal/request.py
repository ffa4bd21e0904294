"""The guest's side of one seal exchange (sans-IO, except the blocking DCAP call).

    req = KeyRequest(b"disk_encryption")
    payload = req.encode(report_source.make_report(req.report_data))
    ... send payload, receive the answer ...
    answer = PersistentKey.from_bytes(frame)
    enclave = verify_sgx_quote(answer.sgx_quote, mode=mode, verifier=verifier, now=now)
    key = req.open(answer, enclave, policy)

`open` runs spec 20 section 7.3 steps 5 to 9 in the reference's order: SGX REPORTDATA must be
SHA-256(our public key) || SHA-256(encrypted_secret) — so an answer to another request (or a
replayed one) and any change to the encrypted secret are refused — then MRENCLAVE against the
allow-list, then the ECDH decryption.
"""

from __future__ import annotations

import enum
import hmac

import attrs
from cryptography.hazmat.primitives.asymmetric import ec

from cocoon.errors import AttestationError
from cocoon.ratls.dcap import QuoteVerifier
from cocoon.ratls.quote import SgxMeasurements
from cocoon.roles.seal import crypto
from cocoon.roles.seal.errors import SealRefused
from cocoon.roles.seal.insecure import has_fake_marker, verify_fake_sgx_quote
from cocoon.roles.seal.messages import GetPersistentKey, PersistentKey


class SealMode(enum.Enum):
    """`real`: TDREPORT from the TDX module, SGX quote through DCAP. `fake`: the INSECURE
    software mode of `cocoon.roles.seal.insecure`."""

    REAL = "real"
    FAKE = "fake"


@attrs.frozen
class EnclavePolicy:
    """Which enclaves may hand out keys: MRENCLAVE values, unless `skip_validation`. An empty
    allow-list without `skip_validation` accepts no enclave (as in the reference)."""

    allowed_mr_enclave: frozenset[bytes] = attrs.field(default=frozenset(), converter=frozenset)
    skip_validation: bool = False

    def check(self, mr_enclave: bytes) -> None:
        if self.skip_validation:
            return
        if mr_enclave not in self.allowed_mr_enclave:
            allowed = ", ".join(sorted(m.hex() for m in self.allowed_mr_enclave)) or "none"
            raise SealRefused(
                f"MRENCLAVE validation failed: got {mr_enclave.hex()}, allowed: {allowed}"
            )


def verify_sgx_quote(
    quote: bytes, *, mode: SealMode, verifier: QuoteVerifier | None, now: int
) -> SgxMeasurements:
    """The enclave's identity and report data from a verified quote. Real mode never accepts
    a fake-marked quote, whatever the verifier says; it may block (DCAP collateral)."""
    if mode is SealMode.FAKE:
        return verify_fake_sgx_quote(quote)
    if has_fake_marker(quote):
        raise SealRefused("a software-mode (fake) SGX quote is never accepted in real mode")
    if verifier is None:
        raise SealRefused("real mode needs a DCAP quote verifier")
    try:
        attestation = verifier.verify(quote, now)
    except AttestationError as e:
        raise SealRefused(f"SGX quote verification failed: {e}") from e
    measurements = attestation.measurements
    if not isinstance(measurements, SgxMeasurements):
        raise SealRefused("response does not contain SGX attestation data")
    return measurements


class KeyRequest:
    """One request: an ephemeral P-256 key (never reused) and the key name."""

    def __init__(
        self, key_name: bytes, *, private_key: ec.EllipticCurvePrivateKey | None = None
    ) -> None:
        crypto.check_key_name(key_name)
        self.key_name = key_name
        self._private_key = private_key or crypto.generate_private_key()
        self.public_key = crypto.encode_public_key(self._private_key.public_key())
        self.report_data = crypto.tdx_report_data(self.public_key)

    def encode(self, tdx_report: bytes) -> bytes:
        """The `getPersistentKey` payload for a TDREPORT made with `self.report_data`."""
        if tdx_report[128:192] != self.report_data:
            raise SealRefused("the TD report was not made for this request's public key")
        return GetPersistentKey(tdx_report, self.public_key, self.key_name).to_bytes()

    def open(self, answer: PersistentKey, enclave: SgxMeasurements, policy: EnclavePolicy) -> bytes:
        """The 32-byte persistent key, after the bindings and the enclave identity check."""
        expected = crypto.sgx_report_data(self.public_key, answer.encrypted_secret)
        if not hmac.compare_digest(enclave.report_data[:32], expected[:32]):
            raise SealRefused("SGX report data is bound to another request's public key")
        if not hmac.compare_digest(enclave.report_data[32:], expected[32:]):
            raise SealRefused("SGX report data does not match the encrypted secret (tampered)")
        policy.check(enclave.mr_enclave)
        return crypto.decrypt_secret(self._private_key, answer.encrypted_secret)
