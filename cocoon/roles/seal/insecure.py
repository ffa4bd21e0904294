"""INSECURE software-mode constants and fake SGX quotes (spec 20 section 7.7).

Software mode runs the seal protocol on machines without SGX or TDX. It keeps every protocol
byte and every check and fakes only what needs hardware, with the constants below, fixed for
the whole project so that any two software-mode nodes agree:

* the TDREPORT MAC: HMAC-SHA256 over bytes 0..224 under `INSECURE_FAKE_PLATFORM_KEY`
  (the real MAC needs the CPU's key and `EVERIFYREPORT2`);
* the enclave's sealing key: `INSECURE_FAKE_SEALING_KEY` (the real one comes from `EGETKEY`);
* the SGX quote: a structurally valid v3 quote with an all-zero QE vendor id and empty
  signature data, for an enclave whose MRENCLAVE is `INSECURE_FAKE_MR_ENCLAVE`.

Everything here is public, so a software-mode key protects nothing: anyone can compute it.
A real-mode client refuses these quotes (zero vendor id) before any DCAP check.
"""

from __future__ import annotations

import hashlib

from cocoon.ratls.quote import (
    QUOTE_HEADER_SIZE,
    SGX_REPORT_BODY_SIZE,
    TEE_TYPE_SGX,
    QuoteError,
    SgxMeasurements,
    SgxReportBody,
    build_sgx_quote,
    parse_quote,
)
from cocoon.roles.seal.errors import SealRefused

INSECURE_FAKE_PLATFORM_KEY = bytes(32)
INSECURE_FAKE_SEALING_KEY = hashlib.sha256(b"cocoon-fake-seal").digest()[:16]
INSECURE_FAKE_MR_ENCLAVE = hashlib.sha256(b"cocoon-fake-seal-enclave").digest()
FAKE_QE_VENDOR_ID = bytes(16)  # marks a quote as fake; Intel's QE id is 939a7233...
FAKE_SGX_QUOTE_SIZE = QUOTE_HEADER_SIZE + SGX_REPORT_BODY_SIZE + 4  # 436


def make_fake_sgx_quote(mr_enclave: bytes, report_data: bytes) -> bytes:
    """The software enclave's quote: v3, SGX, zero vendor id, empty signature data."""
    body = SgxReportBody(
        cpu_svn=bytes(16),
        misc_select=0,
        attributes=bytes(16),
        mr_enclave=mr_enclave,
        mr_signer=bytes(32),
        isv_prod_id=0,
        isv_svn=0,
        report_data=report_data,
    )
    return build_sgx_quote(body, qe_vendor_id=FAKE_QE_VENDOR_ID)


def has_fake_marker(quote: bytes) -> bool:
    """True for a quote that claims to be fake (zero QE vendor id), whatever else it holds."""
    return len(quote) >= 28 and quote[12:28] == FAKE_QE_VENDOR_ID


def verify_fake_sgx_quote(quote: bytes) -> SgxMeasurements:
    """Accept only what `make_fake_sgx_quote` makes: exactly 436 bytes, v3, SGX, zero
    vendor id, empty signature data. Returns the enclave identity and report data."""
    if len(quote) != FAKE_SGX_QUOTE_SIZE:
        raise SealRefused(f"fake SGX quote must be {FAKE_SGX_QUOTE_SIZE} bytes, got {len(quote)}")
    try:
        parsed = parse_quote(quote)
        signature = parsed.signature_data()
    except QuoteError as e:
        raise SealRefused(f"fake SGX quote does not parse: {e}") from e
    header = parsed.header
    if header.version != 3 or header.tee_type != TEE_TYPE_SGX:
        raise SealRefused(f"fake SGX quote must be v3 SGX, got v{header.version}")
    if header.qe_vendor_id != FAKE_QE_VENDOR_ID or signature:
        raise SealRefused("not a fake SGX quote (vendor id or signature data present)")
    if header.attestation_key_type != 2:
        raise SealRefused("fake SGX quote must name attestation key type 2")
    body = parsed.body
    assert isinstance(body, SgxReportBody)  # v3 + SGX tee type always parses to one
    return body.measurements()
