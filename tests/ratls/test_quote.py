"""Quote and TD report parsing against the reference's real TDX quote and the spec's vectors."""

from __future__ import annotations

import hashlib
import struct

import pytest

from cocoon.errors import AttestationError, DecodeError
from cocoon.ratls import quote as q

SAMPLE_SHA256 = "4e36dfe92842050bdef6fc65450e8c2f3fda49beb519f65ec44ac766f8b834b5"
SAMPLE_IMAGE_HASH = "04b3afd931d28680af91a15b09d672c40ad6b141f7f9089a8d67d595220f7436"


@pytest.fixture(scope="module")
def sample(shared_data) -> bytes:
    data = (shared_data / "tdx-quote-sample.dat").read_bytes()
    assert hashlib.sha256(data).hexdigest() == SAMPLE_SHA256
    return data


def test_sample_quote_fields(sample):
    quote = q.parse_quote(sample)
    assert quote.header.version == 4 and quote.header.tee_type == 0x81
    assert quote.header.attestation_key_type == 2
    assert quote.header.qe_vendor_id == q.INTEL_QE_VENDOR_ID
    body = quote.body
    assert isinstance(body, q.TdReportBody) and quote.is_tdx
    assert body.mr_td.hex() == (
        "7357a10d2e2724dffe68813e3cc4cfcde6814d749f2fb62e3953e54f6e0b50a2"
        "19786afe2cd478f684b52c61837e1114"
    )
    assert body.rtmr[0].hex().startswith("251a7f3cfc680063")
    assert body.rtmr[1].hex().startswith("7a6eb32a914226f4")
    assert body.rtmr[2].hex().startswith("aaccda38cf2bdee9")
    assert body.rtmr[3] == body.mr_config_id == body.mr_owner == body.mr_owner_config == bytes(48)
    assert body.report_data.hex().startswith("d21efaa8d7de2b0f") and len(body.report_data) == 64
    assert body.td_attributes.hex() == "0000001000000000"
    assert body.xfam.hex() == "e702060000000000"
    assert body.tee_tcb_svn.hex() == "07010300000000000000000000000000"
    assert quote.signed_end == 632 and len(quote.signature_data()) == 4304
    # 70 trailing zero bytes after the 4940-byte quote are tolerated
    assert len(sample) - (632 + 4 + 4304) == 70


def test_sample_image_hash(sample):
    att = q.parse_quote(sample).attestation()
    assert att.image_hash.hex() == SAMPLE_IMAGE_HASH
    assert att.collateral_root_hash == bytes(48) and not att.is_fake
    # the report data does not enter the image hash
    m = att.measurements
    other = q.TdxMeasurements(
        m.mr_td, m.mr_config_id, m.mr_owner, m.mr_owner_config, rtmr=m.rtmr, report_data=b"x" * 64
    )
    assert q.image_hash(other).hex() == SAMPLE_IMAGE_HASH
    assert q.tdx_attestation_bytes(other)[-64:] == b"x" * 64


def test_image_hash_of_none_and_sgx():
    assert q.image_hash(None) == bytes(32)
    sgx = q.SgxMeasurements(mr_enclave=b"\x01" * 32, report_data=b"\x02" * 64)
    assert q.image_hash(sgx) == hashlib.sha256(b"\x01" * 32 + bytes(64)).digest()


def test_fake_quote_vectors():
    pub = bytes.fromhex("03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8")
    rd = q.report_data_for_key(pub)
    assert rd.hex().startswith("ed4242ead4ac69486ebba169") and rd.hex().endswith("bbbaca1f9")
    quote = q.make_fake_quote(rd)
    assert quote == rd
    att = q.fake_quote_attestation(quote)
    assert att.measurements.report_data == rd and att.is_fake
    assert (
        att.image_hash.hex() == "5c55c8f4db4010ba9203d83536d0609856af8c847ac039e37e7dde8fbd574b61"
    )
    assert q.FAKE_IMAGE_HASH == att.image_hash


@pytest.mark.parametrize("size", [0, 63, 65, 5010])
def test_fake_quote_wrong_size(size):
    with pytest.raises(q.QuoteError, match="fake quote size"):
        q.fake_quote_attestation(bytes(size))


def test_report_data_needs_32_byte_key():
    with pytest.raises(AttestationError):
        q.report_data_for_key(b"\x00" * 31)


@pytest.mark.parametrize("cut", [0, 10, 47, 48, 100, 631])
def test_truncated_quote(sample, cut):
    with pytest.raises(q.QuoteError) as info:
        q.parse_quote(sample[:cut])
    assert isinstance(info.value, DecodeError) and isinstance(info.value, AttestationError)


def test_garbage_quote():
    with pytest.raises(q.QuoteError, match="version"):
        q.parse_quote(b"\xff" * 700)
    with pytest.raises(q.QuoteError, match="TEE type"):
        q.parse_quote(struct.pack("<HHI", 3, 2, 0x81) + bytes(700))
    with pytest.raises(q.QuoteError, match="TEE type"):
        q.parse_quote(struct.pack("<HHI", 4, 2, 0x42) + bytes(700))


def test_truncated_signature_data(sample):
    quote = q.parse_quote(sample[:700])
    with pytest.raises(q.QuoteError, match="truncated"):
        quote.signature_data()


def _sgx_body(mr_enclave: bytes, report_data: bytes) -> bytes:
    body = bytearray(384)
    body[64:96] = mr_enclave
    body[128:160] = b"\x05" * 32
    body[256:260] = struct.pack("<HH", 7, 9)
    body[320:384] = report_data
    return bytes(body)


def test_sgx_v3_quote():
    raw = struct.pack("<HHI", 3, 2, 0) + bytes(40) + _sgx_body(b"\x11" * 32, b"\x22" * 64)
    quote = q.parse_quote(raw + struct.pack("<I", 0))
    body = quote.body
    assert isinstance(body, q.SgxReportBody) and not quote.is_tdx
    assert body.mr_enclave == b"\x11" * 32 and body.mr_signer == b"\x05" * 32
    assert (body.isv_prod_id, body.isv_svn) == (7, 9)
    assert quote.signature_data() == b""
    assert quote.attestation().measurements == q.SgxMeasurements(b"\x11" * 32, b"\x22" * 64)


def test_v5_quote_bodies(sample):
    td10 = sample[48:632]
    header = struct.pack("<HHI", 5, 2, 0x81) + sample[8:48]
    quote = q.parse_quote(header + struct.pack("<HI", 2, 584) + td10)
    assert quote.body_offset == 54
    assert quote.attestation().image_hash.hex() == SAMPLE_IMAGE_HASH
    td15 = td10 + b"\x01" * 16 + b"\x02" * 48
    quote = q.parse_quote(header + struct.pack("<HI", 3, 648) + td15)
    assert quote.body.tee_tcb_svn2 == b"\x01" * 16 and quote.body.mr_servicetd == b"\x02" * 48
    assert quote.attestation().image_hash.hex() == SAMPLE_IMAGE_HASH
    sgx = _sgx_body(b"\x11" * 32, b"\x22" * 64)
    assert isinstance(
        q.parse_quote(header + struct.pack("<HI", 1, 384) + sgx).body, q.SgxReportBody
    )
    with pytest.raises(q.QuoteError, match="body type 4"):
        q.parse_quote(header + struct.pack("<HI", 4, 584) + td10)
    with pytest.raises(q.QuoteError, match="584 bytes, type 3"):
        q.parse_quote(header + struct.pack("<HI", 3, 584) + td15)
    with pytest.raises(q.QuoteError, match="truncated"):
        q.parse_quote(header + struct.pack("<HI", 2, 584) + td10[:-1])


def test_td_report_round_trip():
    rtmr = tuple(bytes([i]) * 48 for i in range(1, 5))
    raw = q.build_td_report(
        b"\x09" * 64, mr_td=b"\x0a" * 48, rtmr=rtmr, version=1, platform_key=b"k" * 32
    )
    assert len(raw) == 1024 and raw[:3] == b"\x81\x00\x01"
    report = q.parse_td_report(raw)
    assert report.version == 1 and report.report_data == b"\x09" * 64
    assert report.mr_td == b"\x0a" * 48 and report.rtmr == rtmr
    assert report.tee_tcb_info_hash == hashlib.sha384(raw[256:495]).digest()
    assert report.tee_info_hash == hashlib.sha384(raw[512:1024]).digest()
    assert report.mac_valid(b"k" * 32) and not report.mac_valid(bytes(32))
    m = report.measurements()
    assert m.mr_td == b"\x0a" * 48 and m.rtmr[3] == b"\x04" * 48
    assert report.attestation().image_hash == q.image_hash(m)
    # same registers as in a quote -> same image hash
    assert raw[528:720] + raw[720:912] == q.tdx_attestation_bytes(m)[:384]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r[:1023], "1024"),
        (lambda r: b"\x80" + r[1:], "type"),
        (lambda r: r[:1] + b"\x01" + r[2:], "subtype"),
        (lambda r: r[:2] + b"\x02" + r[3:], "version"),
    ],
)
def test_td_report_rejects(mutate, message):
    with pytest.raises(q.QuoteError, match=message):
        q.parse_td_report(mutate(q.build_td_report(bytes(64))))


def test_root_key_id_shape():
    with pytest.raises(q.QuoteError):
        q.root_key_id(b"\x04" * 64)
    assert q.root_key_id(b"\x04" + bytes(64)) == hashlib.sha384(b"\x04" + bytes(64)).digest()


def test_sgx_body_and_v3_quote_build_round_trip():
    body = q.SgxReportBody.parse(_sgx_body(b"\x11" * 32, b"\x22" * 64))
    assert q.SgxReportBody.parse(body.to_bytes()) == body
    raw = q.build_sgx_quote(body, qe_vendor_id=bytes(16), signature_data=b"sig")
    assert len(raw) == 48 + 384 + 4 + 3
    quote = q.parse_quote(raw)
    assert quote.header == q.QuoteHeader(3, 2, 0, bytes(16), bytes(20))
    assert quote.body == body and quote.signature_data() == b"sig"
    with pytest.raises(q.QuoteError, match="vendor id"):
        q.build_sgx_quote(body, qe_vendor_id=b"short")


def test_sans_io_modules_do_not_import_trio():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import cocoon.ratls.quote, cocoon.ratls.cert, cocoon.ratls.policy, cocoon.ratls.pow\n"
        "import cocoon.ratls.dcap, cocoon.ratls.identity, cocoon.ratls.tdx_guest\n"
        "print('trio' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
