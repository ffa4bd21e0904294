"""TDX/SGX quotes and TD reports (sans-IO), spec 20 section 3.

    quote = parse_quote(raw)              # v3/v4/v5 DCAP quote: header + report body
    att = quote.attestation()             # AttestationData: measurements (+ collateral hash)
    att.image_hash                        # the 32 bytes inner services compare

    report = parse_td_report(raw1024)     # the guest-local TDREPORT (MAC'd, not signed)

Only the layout is checked here; whether a quote's signature chains to Intel is the job of a
`QuoteVerifier` (`cocoon.ratls.dcap`). Fake TDX (`fake_tdx`) quotes are the 64-byte report
data themselves, exactly as the reference does, so every fake peer has the same image hash.
"""

from __future__ import annotations

import hashlib
import hmac
import struct

import attrs

from cocoon.errors import AttestationError, DecodeError

__all__ = [
    "FAKE_IMAGE_HASH",
    "INTEL_QE_VENDOR_ID",
    "INTEL_ROOT_KEY_ID",
    "AttestationData",
    "Quote",
    "QuoteError",
    "QuoteHeader",
    "SgxMeasurements",
    "SgxReportBody",
    "TdReport",
    "TdReportBody",
    "TdxMeasurements",
    "build_sgx_quote",
    "build_td_report",
    "fake_quote_attestation",
    "image_hash",
    "make_fake_quote",
    "parse_quote",
    "parse_td_report",
    "report_data_for_key",
    "root_key_id",
    "tdx_attestation_bytes",
]

TEE_TYPE_SGX = 0x00000000
TEE_TYPE_TDX = 0x00000081
QUOTE_HEADER_SIZE = 48
SGX_REPORT_BODY_SIZE = 384
TD10_REPORT_BODY_SIZE = 584
TD15_REPORT_BODY_SIZE = 648
V5_BODY_TYPES = {1: SGX_REPORT_BODY_SIZE, 2: TD10_REPORT_BODY_SIZE, 3: TD15_REPORT_BODY_SIZE}
TD_REPORT_SIZE = 1024
TD_REPORT_TYPE = 0x81
FAKE_QUOTE_SIZE = 64
MAX_QUOTE_SIZE = 32768  # the reference's reader cap on the certificate extension

INTEL_QE_VENDOR_ID = bytes.fromhex("939a7233f79c4ca9940a0db3957f0607")
# SHA-384 of the Intel SGX Root CA key (0x04 || X || Y): the reference router's default
# allowed collateral root (spec 20 section 3.8).
INTEL_ROOT_KEY_ID = bytes.fromhex(
    "46e403bd34f05a3f2817ab9badcaacc7ffc98e0f261008cd30dae936cace18d5"
    "dcf58eef31463613de1570d516200993"
)
ZERO48 = bytes(48)
FAKE_IMAGE_HASH = hashlib.sha256(bytes(448)).digest()  # 5c55c8f4...4b61


def _sized(n: int):  # attrs validator factory
    def check(instance: object, attribute: attrs.Attribute, value: bytes) -> None:
        if not isinstance(value, bytes) or len(value) != n:
            raise ValueError(f"{attribute.name} must be {n} bytes")

    return check


@attrs.frozen
class TdxMeasurements:
    """The TDX measurement registers and report data (the reference's TdxAttestationData).

    Same fields as `cocoon.net.preamble.TdxMeasurements`; kept here so that this sans-IO
    module does not import the trio-based `cocoon.net` package.
    """

    mr_td: bytes = attrs.field(validator=_sized(48))
    mr_config_id: bytes = attrs.field(validator=_sized(48))
    mr_owner: bytes = attrs.field(validator=_sized(48))
    mr_owner_config: bytes = attrs.field(validator=_sized(48))
    rtmr: tuple[bytes, bytes, bytes, bytes] = attrs.field(converter=tuple)
    report_data: bytes = attrs.field(validator=_sized(64))

    @rtmr.validator
    def _check_rtmr(self, attribute: attrs.Attribute, value: tuple[bytes, ...]) -> None:
        if len(value) != 4 or any(not isinstance(r, bytes) or len(r) != 48 for r in value):
            raise ValueError("rtmr must be four 48-byte registers")


@attrs.frozen
class SgxMeasurements:
    mr_enclave: bytes = attrs.field(validator=_sized(32))
    report_data: bytes = attrs.field(validator=_sized(64))


class QuoteError(AttestationError, DecodeError):
    """A quote or TD report that does not parse, or a fake quote of the wrong size."""


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise QuoteError(message)


@attrs.frozen
class QuoteHeader:
    version: int
    attestation_key_type: int
    tee_type: int
    qe_vendor_id: bytes
    user_data: bytes

    @classmethod
    def parse(cls, data: bytes) -> QuoteHeader:
        _check(len(data) >= QUOTE_HEADER_SIZE, f"quote of {len(data)} bytes has no 48-byte header")
        version, key_type, tee_type = struct.unpack_from("<HHI", data, 0)
        return cls(version, key_type, tee_type, bytes(data[12:28]), bytes(data[28:48]))


@attrs.frozen
class TdReportBody:
    """TD report body of a TDX quote: TD 1.0 (584 bytes) or TD 1.5 (648 bytes)."""

    tee_tcb_svn: bytes
    mr_seam: bytes
    mr_signer_seam: bytes
    seam_attributes: bytes
    td_attributes: bytes
    xfam: bytes
    mr_td: bytes
    mr_config_id: bytes
    mr_owner: bytes
    mr_owner_config: bytes
    rtmr: tuple[bytes, bytes, bytes, bytes]
    report_data: bytes
    tee_tcb_svn2: bytes | None = None  # TD 1.5 only
    mr_servicetd: bytes | None = None  # TD 1.5 only

    @classmethod
    def parse(cls, body: bytes) -> TdReportBody:
        _check(len(body) in (TD10_REPORT_BODY_SIZE, TD15_REPORT_BODY_SIZE), "bad TD report size")
        f = [bytes(body[o : o + n]) for o, n in _TD_BODY_FIELDS]
        extra = (None, None)
        if len(body) == TD15_REPORT_BODY_SIZE:
            extra = (bytes(body[584:600]), bytes(body[600:648]))
        return cls(
            *f[:10],
            rtmr=tuple(f[10:14]),
            report_data=f[14],
            tee_tcb_svn2=extra[0],
            mr_servicetd=extra[1],
        )

    def measurements(self) -> TdxMeasurements:
        return TdxMeasurements(
            self.mr_td,
            self.mr_config_id,
            self.mr_owner,
            self.mr_owner_config,
            rtmr=self.rtmr,
            report_data=self.report_data,
        )


# (offset, size) in the TD report body, spec 20 section 3.3.
_TD_BODY_FIELDS = (
    (0, 16),
    (16, 48),
    (64, 48),
    (112, 8),
    (120, 8),
    (128, 8),  # svn, seam, signer, attrs, xfam
    (136, 48),
    (184, 48),
    (232, 48),
    (280, 48),  # mrtd, mrconfigid, mrowner, mrownerconfig
    (328, 48),
    (376, 48),
    (424, 48),
    (472, 48),  # rtmr0..3
    (520, 64),  # report data
)


@attrs.frozen
class SgxReportBody:
    """SGX enclave report body (384 bytes), spec 20 section 3.4."""

    cpu_svn: bytes
    misc_select: int
    attributes: bytes
    mr_enclave: bytes
    mr_signer: bytes
    isv_prod_id: int
    isv_svn: int
    report_data: bytes

    @classmethod
    def parse(cls, body: bytes) -> SgxReportBody:
        _check(len(body) == SGX_REPORT_BODY_SIZE, "bad SGX report size")
        (misc_select,) = struct.unpack_from("<I", body, 16)
        prod_id, svn = struct.unpack_from("<HH", body, 256)
        return cls(
            cpu_svn=bytes(body[0:16]),
            misc_select=misc_select,
            attributes=bytes(body[48:64]),
            mr_enclave=bytes(body[64:96]),
            mr_signer=bytes(body[128:160]),
            isv_prod_id=prod_id,
            isv_svn=svn,
            report_data=bytes(body[320:384]),
        )

    def measurements(self) -> SgxMeasurements:
        return SgxMeasurements(mr_enclave=self.mr_enclave, report_data=self.report_data)

    def to_bytes(self) -> bytes:
        """The 384-byte body (reserved fields zero); `parse` of it gives this body back."""
        sizes = {"cpu_svn": 16, "attributes": 16, "mr_enclave": 32, "mr_signer": 32}
        sizes["report_data"] = 64
        for name, size in sizes.items():
            _check(len(getattr(self, name)) == size, f"SGX report {name} must be {size} bytes")
        buf = bytearray(SGX_REPORT_BODY_SIZE)
        buf[0:16] = self.cpu_svn
        struct.pack_into("<I", buf, 16, self.misc_select)
        buf[48:64] = self.attributes
        buf[64:96] = self.mr_enclave
        buf[128:160] = self.mr_signer
        struct.pack_into("<HH", buf, 256, self.isv_prod_id, self.isv_svn)
        buf[320:384] = self.report_data
        return bytes(buf)


@attrs.frozen
class Quote:
    """A parsed DCAP quote. `raw` is the whole input (trailing bytes included)."""

    header: QuoteHeader
    body: TdReportBody | SgxReportBody
    body_offset: int
    raw: bytes = attrs.field(repr=False)

    @property
    def is_tdx(self) -> bool:
        return isinstance(self.body, TdReportBody)

    @property
    def signed_end(self) -> int:
        return self.body_offset + _body_size(self.body)

    def signature_data(self) -> bytes:
        """The signature data after the body (`u32 length` + data), for DCAP verifiers."""
        end = self.signed_end
        _check(len(self.raw) >= end + 4, "quote has no signature data length")
        (n,) = struct.unpack_from("<I", self.raw, end)
        _check(len(self.raw) >= end + 4 + n, "quote signature data is truncated")
        return self.raw[end + 4 : end + 4 + n]

    def attestation(self, collateral_root_hash: bytes = ZERO48) -> AttestationData:
        return AttestationData(self.body.measurements(), collateral_root_hash)


def _body_size(body: TdReportBody | SgxReportBody) -> int:
    if isinstance(body, SgxReportBody):
        return SGX_REPORT_BODY_SIZE
    return TD10_REPORT_BODY_SIZE if body.tee_tcb_svn2 is None else TD15_REPORT_BODY_SIZE


def parse_quote(data: bytes) -> Quote:
    """Header and report body of a v3/v4/v5 quote, by the reference's rules (spec 20 §3.2).

    Trailing bytes after the body (signature data, certification data, padding) are kept in
    `raw` but not interpreted here.
    """
    data = bytes(data)
    header = QuoteHeader.parse(data)
    v, tee = header.version, header.tee_type
    if v in (3, 4):
        if tee == TEE_TYPE_SGX:
            size, parser = SGX_REPORT_BODY_SIZE, SgxReportBody.parse
        elif tee == TEE_TYPE_TDX and v == 4:
            size, parser = TD10_REPORT_BODY_SIZE, TdReportBody.parse
        else:
            raise QuoteError(f"quote v{v} with TEE type {tee:#x} is not supported")
        offset = QUOTE_HEADER_SIZE
    elif v == 5:
        _check(len(data) >= QUOTE_HEADER_SIZE + 6, "v5 quote has no body descriptor")
        body_type, body_size = struct.unpack_from("<HI", data, QUOTE_HEADER_SIZE)
        size = V5_BODY_TYPES.get(body_type, -1)
        _check(size > 0, f"v5 quote body type {body_type} is not supported")
        # The reference cuts the body to body_size, then requires exactly the struct's size.
        _check(body_size == size, f"v5 quote body of {body_size} bytes, type {body_type} is {size}")
        parser = SgxReportBody.parse if body_type == 1 else TdReportBody.parse
        offset = QUOTE_HEADER_SIZE + 6
    else:
        raise QuoteError(f"quote version {v} is not supported (3, 4 or 5)")
    _check(
        len(data) >= offset + size, f"quote of {len(data)} bytes is truncated (body needs {size})"
    )
    return Quote(header, parser(data[offset : offset + size]), offset, data)


def build_sgx_quote(
    body: SgxReportBody,
    *,
    qe_vendor_id: bytes,
    signature_data: bytes = b"",
    user_data: bytes = bytes(20),
) -> bytes:
    """A v3 SGX quote (the form Intel's quoting library emits for enclaves): header (key
    type 2, TEE type SGX), the 384-byte body, then `u32 length` + signature data.

    Whoever builds one picks the QE vendor id and signature data; the seal protocol's software
    mode (spec 20 section 7.7) marks its quotes with a zero vendor id and no signature."""
    _check(len(qe_vendor_id) == 16, "QE vendor id must be 16 bytes")
    _check(len(user_data) == 20, "quote user data must be 20 bytes")
    header = struct.pack("<HHIHH", 3, 2, TEE_TYPE_SGX, 0, 0) + qe_vendor_id + user_data
    return header + body.to_bytes() + struct.pack("<I", len(signature_data)) + signature_data


# --- attestation data and the image hash (spec 20 section 3.6) ---


@attrs.frozen
class AttestationData:
    """What a validated quote says: measurements (None for policy `any`) and, for real DCAP
    verification, the SHA-384 key id of the root CA the collateral chained to."""

    measurements: TdxMeasurements | SgxMeasurements | None
    collateral_root_hash: bytes = ZERO48

    @property
    def image_hash(self) -> bytes:
        return image_hash(self.measurements)

    @property
    def is_fake(self) -> bool:
        """The reference's cosmetic label: a TDX attestation with RTMR0 all zero."""
        m = self.measurements
        return isinstance(m, TdxMeasurements) and m.rtmr[0] == ZERO48


def tdx_attestation_bytes(m: TdxMeasurements) -> bytes:
    """The 448-byte td-serialization of TdxAttestationData (also the image-hash preimage)."""
    return b"".join(
        (m.mr_td, m.mr_config_id, m.mr_owner, m.mr_owner_config, *m.rtmr, m.report_data)
    )


def image_hash(m: TdxMeasurements | SgxMeasurements | None) -> bytes:
    """SHA-256 of the measurements with REPORTDATA zeroed; 32 zero bytes without attestation."""
    if m is None:
        return bytes(32)
    # By shape, so that the preamble codec's measurement classes work too.
    if hasattr(m, "mr_enclave"):
        return hashlib.sha256(m.mr_enclave + bytes(64)).digest()
    return hashlib.sha256(tdx_attestation_bytes(m)[:384] + bytes(64)).digest()


def report_data_for_key(public_key: bytes) -> bytes:
    """REPORTDATA binding a quote to a TLS key: SHA-512 of the serialized user claims, which
    are just the 32 raw Ed25519 public-key bytes (spec 20 section 2.4)."""
    if len(public_key) != 32:
        raise AttestationError(f"user claims key must be 32 bytes, got {len(public_key)}")
    return hashlib.sha512(public_key).digest()


# --- fake TDX (spec 20 section 3.7) ---


def quoted_report_data(quote: bytes) -> bytes:
    """The REPORTDATA a fake (64-byte) or DCAP quote claims, read without verifying the
    quote (QuoteError if it is neither)."""
    if len(quote) == FAKE_QUOTE_SIZE:
        return bytes(quote)
    return parse_quote(quote).body.report_data


def make_fake_quote(report_data: bytes) -> bytes:
    """A `fake_tdx` quote: the 64 bytes of report data themselves."""
    if len(report_data) != FAKE_QUOTE_SIZE:
        raise QuoteError(f"fake quote report data must be 64 bytes, got {len(report_data)}")
    return bytes(report_data)


def fake_quote_attestation(quote: bytes) -> AttestationData:
    """Validate a fake quote: exactly 64 bytes, all registers zero, no collateral."""
    if len(quote) != FAKE_QUOTE_SIZE:
        raise QuoteError(f"invalid fake quote size: expected 64 bytes, got {len(quote)}")
    z = ZERO48
    return AttestationData(TdxMeasurements(z, z, z, z, rtmr=(z, z, z, z), report_data=bytes(quote)))


# --- the 1024-byte TDREPORT (spec 20 section 3.5) ---


@attrs.frozen
class TdReport:
    """A TDREPORT (`sgx_report2_t`), as produced inside a TDX guest."""

    version: int  # 0 = TDX 1.0, 1 = TDX 1.5
    cpu_svn: bytes
    tee_tcb_info_hash: bytes
    tee_info_hash: bytes
    report_data: bytes
    mac: bytes
    tee_tcb_info: bytes
    td_attributes: bytes
    xfam: bytes
    mr_td: bytes
    mr_config_id: bytes
    mr_owner: bytes
    mr_owner_config: bytes
    rtmr: tuple[bytes, bytes, bytes, bytes]
    servtd_hash: bytes  # meaningful only for version 1
    raw: bytes = attrs.field(repr=False)

    def measurements(self) -> TdxMeasurements:
        return TdxMeasurements(
            self.mr_td,
            self.mr_config_id,
            self.mr_owner,
            self.mr_owner_config,
            rtmr=self.rtmr,
            report_data=self.report_data,
        )

    def attestation(self) -> AttestationData:
        return AttestationData(self.measurements())

    def mac_valid(self, platform_key: bytes) -> bool:
        """Check the MAC of a fake report (HMAC-SHA256 over bytes 0..224, spec 20 §7.7)."""
        return hmac.compare_digest(self.mac, td_report_mac(self.raw, platform_key))


def parse_td_report(data: bytes) -> TdReport:
    """Parse a TDREPORT: exactly 1024 bytes, type 0x81, subtype 0, version 0 or 1."""
    data = bytes(data)
    _check(len(data) == TD_REPORT_SIZE, f"TD report must be 1024 bytes, got {len(data)}")
    rtype, subtype, version = data[0], data[1], data[2]
    _check(rtype == TD_REPORT_TYPE, f"TD report type {rtype:#x}, expected 0x81")
    _check(subtype == 0, f"TD report subtype {subtype}, expected 0")
    _check(version in (0, 1), f"TD report version {version} is not supported")
    return TdReport(
        version=version,
        cpu_svn=data[16:32],
        tee_tcb_info_hash=data[32:80],
        tee_info_hash=data[80:128],
        report_data=data[128:192],
        mac=data[224:256],
        tee_tcb_info=data[256:495],
        td_attributes=data[512:520],
        xfam=data[520:528],
        mr_td=data[528:576],
        mr_config_id=data[576:624],
        mr_owner=data[624:672],
        mr_owner_config=data[672:720],
        rtmr=(data[720:768], data[768:816], data[816:864], data[864:912]),
        servtd_hash=data[912:960],
        raw=data,
    )


def td_report_mac(report: bytes, platform_key: bytes) -> bytes:
    return hmac.new(platform_key, report[:224], hashlib.sha256).digest()


def build_td_report(
    report_data: bytes,
    *,
    mr_td: bytes = ZERO48,
    mr_config_id: bytes = ZERO48,
    mr_owner: bytes = ZERO48,
    mr_owner_config: bytes = ZERO48,
    rtmr: tuple[bytes, bytes, bytes, bytes] = (ZERO48,) * 4,
    td_attributes: bytes = bytes(8),
    xfam: bytes = bytes(8),
    cpu_svn: bytes = bytes(16),
    tee_tcb_info: bytes = bytes(239),
    version: int = 0,
    platform_key: bytes = bytes(32),
) -> bytes:
    """A fake 1024-byte TDREPORT with the layout of a real one (spec 20 section 7.7):
    TEE_TCB_INFO_HASH = SHA-384(bytes 256..495), TEE_INFO_HASH = SHA-384(bytes 512..1024),
    MAC = HMAC-SHA256(platform_key, bytes 0..224)."""
    sizes = {
        "report_data": (report_data, 64),
        "mr_td": (mr_td, 48),
        "cpu_svn": (cpu_svn, 16),
        "mr_config_id": (mr_config_id, 48),
        "mr_owner": (mr_owner, 48),
        "mr_owner_config": (mr_owner_config, 48),
        "td_attributes": (td_attributes, 8),
        "xfam": (xfam, 8),
        "tee_tcb_info": (tee_tcb_info, 239),
    }
    for name, (value, size) in sizes.items():
        if len(value) != size:
            raise QuoteError(f"{name} must be {size} bytes, got {len(value)}")
    if len(rtmr) != 4 or any(len(r) != 48 for r in rtmr):
        raise QuoteError("rtmr must be four 48-byte registers")
    if version not in (0, 1):
        raise QuoteError(f"TD report version {version} is not supported")
    buf = bytearray(TD_REPORT_SIZE)
    buf[0:3] = bytes((TD_REPORT_TYPE, 0, version))
    buf[16:32] = cpu_svn
    buf[128:192] = report_data
    buf[256:495] = tee_tcb_info
    buf[512:520] = td_attributes
    buf[520:528] = xfam
    buf[528:720] = mr_td + mr_config_id + mr_owner + mr_owner_config
    buf[720:912] = b"".join(rtmr)
    buf[32:80] = hashlib.sha384(buf[256:495]).digest()
    buf[80:128] = hashlib.sha384(buf[512:1024]).digest()
    buf[224:256] = td_report_mac(bytes(buf), platform_key)
    return bytes(buf)


# --- collateral root key id ---


def root_key_id(uncompressed_point: bytes) -> bytes:
    """SHA-384 of a root CA's P-256 key in uncompressed SEC1 form (0x04 || X || Y)."""
    if len(uncompressed_point) != 65 or uncompressed_point[0] != 4:
        raise QuoteError("root key must be an uncompressed P-256 point (65 bytes)")
    return hashlib.sha384(uncompressed_point).digest()
