"""The enclave's side of the seal protocol (sans-IO): `SoftwareEnclave` plays the reference's
SGX enclave (`ecall_gen_key`) plus the host's quoting, with the INSECURE software-mode
constants of `cocoon.roles.seal.insecure`.

    answer = SoftwareEnclave().answer(GetPersistentKey.from_bytes(payload))

Checks, in the reference's order (spec 20 sections 7.4 and 7.5): report of exactly 1024 bytes,
public key of exactly 64, key name of 1..256 bytes, TDREPORT type 0x81 / subtype 0 / version 0
/ reserved 0, REPORTDATA == SHA-256(public key) || 0^32, then the MAC (here HMAC under the
fake platform key, standing in for `sgx_verify_report2`). Any failure raises `SealRefused` and
nothing is derived.
"""

from __future__ import annotations

import attrs
from cryptography.hazmat.primitives.asymmetric import ec

from cocoon.ratls.quote import TD_REPORT_SIZE, TD_REPORT_TYPE, TdReport, parse_td_report
from cocoon.roles.seal import crypto
from cocoon.roles.seal.errors import SealRefused
from cocoon.roles.seal.insecure import (
    INSECURE_FAKE_MR_ENCLAVE,
    INSECURE_FAKE_PLATFORM_KEY,
    INSECURE_FAKE_SEALING_KEY,
    make_fake_sgx_quote,
    verify_fake_sgx_quote,
)
from cocoon.roles.seal.messages import GetPersistentKey, PersistentKey


def _sized(n: int):  # attrs validator factory
    def check(instance: object, attribute: attrs.Attribute, value: bytes) -> None:
        if not isinstance(value, bytes) or len(value) != n:
            raise ValueError(f"{attribute.name} must be {n} bytes")

    return check


@attrs.frozen
class SoftwareEnclave:
    """The software-mode enclave. The defaults are the project-wide INSECURE constants; other
    values only simulate another machine or enclave build in tests."""

    platform_key: bytes = attrs.field(default=INSECURE_FAKE_PLATFORM_KEY, validator=_sized(32))
    sealing_key: bytes = attrs.field(default=INSECURE_FAKE_SEALING_KEY, validator=_sized(16))
    mr_enclave: bytes = attrs.field(default=INSECURE_FAKE_MR_ENCLAVE, validator=_sized(32))

    def check_report(self, tdx_report: bytes, public_key: bytes) -> TdReport:
        """The enclave's checks of the guest's TDREPORT; returns it parsed."""
        if len(tdx_report) != TD_REPORT_SIZE:
            raise SealRefused(f"TD report must be {TD_REPORT_SIZE} bytes, got {len(tdx_report)}")
        rtype, subtype, version, reserved = tdx_report[:4]
        if (rtype, subtype, version, reserved) != (TD_REPORT_TYPE, 0, 0, 0):
            raise SealRefused(
                f"invalid TD report type: type={rtype:#x} subtype={subtype} "
                f"version={version} reserved={reserved} (want 0x81/0/0/0)"
            )
        report = parse_td_report(tdx_report)
        if report.report_data != crypto.tdx_report_data(public_key):
            raise SealRefused("TD report data is not SHA-256(public key) || 0^32")
        if not report.mac_valid(self.platform_key):
            raise SealRefused("TD report MAC does not verify (another platform, or tampered)")
        return report

    def gen_key(
        self,
        tdx_report: bytes,
        public_key: bytes,
        key_name: bytes,
        *,
        ephemeral_key: ec.EllipticCurvePrivateKey | None = None,
    ) -> tuple[bytes, bytes]:
        """`ecall_gen_key`: returns (encrypted_secret, SGX REPORTDATA). `ephemeral_key` is
        for test vectors; by default a fresh key is made for every request."""
        if len(public_key) != crypto.PUBLIC_KEY_SIZE:
            raise SealRefused(f"public key must be 64 bytes, got {len(public_key)}")
        crypto.check_key_name(key_name)
        report = self.check_report(tdx_report, public_key)
        persistent = crypto.derive_persistent_key(
            self.sealing_key, report.tee_info_hash, report.tee_tcb_info_hash, key_name
        )
        key = ephemeral_key or crypto.generate_private_key()
        encrypted_secret = crypto.encrypt_secret(key, public_key, persistent)
        return encrypted_secret, crypto.sgx_report_data(public_key, encrypted_secret)

    def answer(self, request: GetPersistentKey) -> PersistentKey:
        """The whole host + enclave path: check, derive, encrypt, quote, self-check the quote."""
        encrypted_secret, report_data = self.gen_key(
            request.tdx_report, request.public_key, request.key_name
        )
        quote = make_fake_sgx_quote(self.mr_enclave, report_data)
        verify_fake_sgx_quote(quote)  # the host validates its own quote, as the reference does
        return PersistentKey(sgx_quote=quote, encrypted_secret=encrypted_secret)
