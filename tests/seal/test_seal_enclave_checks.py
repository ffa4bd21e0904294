"""The software enclave: every check of spec 20 section 7.4, and what the key depends on."""

from __future__ import annotations

import attrs
import pytest

from cocoon.ratls.quote import build_td_report, parse_quote
from cocoon.roles.seal import crypto
from cocoon.roles.seal.enclave import SoftwareEnclave
from cocoon.roles.seal.errors import SealMessageError, SealRefused
from cocoon.roles.seal.guest import FakeTdxGuest
from cocoon.roles.seal.insecure import (
    FAKE_SGX_QUOTE_SIZE,
    INSECURE_FAKE_MR_ENCLAVE,
    verify_fake_sgx_quote,
)
from cocoon.roles.seal.messages import GetPersistentKey
from cocoon.roles.seal.request import EnclavePolicy, KeyRequest

POLICY = EnclavePolicy({INSECURE_FAKE_MR_ENCLAVE})


def derive(
    key_name: bytes = b"app",
    guest: FakeTdxGuest | None = None,
    enclave: SoftwareEnclave | None = None,
) -> bytes:
    """One full software-mode exchange without sockets."""
    guest = guest or FakeTdxGuest()
    request = KeyRequest(key_name)
    payload = request.encode(guest.make_report(request.report_data))
    answer = (enclave or SoftwareEnclave()).answer(GetPersistentKey.from_bytes(payload))
    return request.open(answer, verify_fake_sgx_quote(answer.sgx_quote), POLICY)


def test_same_inputs_same_key_fresh_ephemeral_keys():
    a, b = derive(), derive()
    assert a == b and len(a) == 32


def test_key_depends_on_image_configuration_name_and_platform():
    base = derive()
    mr_td = FakeTdxGuest(mr_td=b"\1" * 48)
    rtmr3 = FakeTdxGuest().extend_rtmr3(b"cocoon:spec.tree=abc")
    tcb = FakeTdxGuest(tee_tcb_info=b"\3" * 239)
    config = FakeTdxGuest(mr_config_id=b"\4" * 48)
    others = {
        "mr_td": derive(guest=mr_td),
        "rtmr3": derive(guest=rtmr3),
        "tcb": derive(guest=tcb),
        "config": derive(guest=config),
        "name": derive(key_name=b"disk_encryption"),
        "sealing": derive(enclave=SoftwareEnclave(sealing_key=b"\5" * 16)),
    }
    assert len({base, *others.values()}) == len(others) + 1


def _request(guest: FakeTdxGuest | None = None, **report_patch: bytes) -> GetPersistentKey:
    request = KeyRequest(b"app")
    report = bytearray((guest or FakeTdxGuest()).make_report(request.report_data))
    for offset, value in report_patch.items():
        start = int(offset.removeprefix("at"))
        report[start : start + len(value)] = value
    return GetPersistentKey(bytes(report), request.public_key, b"app")


@pytest.mark.parametrize(
    ("patch", "match"),
    [
        ({"at0": b"\x82"}, "invalid TD report type"),
        ({"at1": b"\1"}, "invalid TD report type"),
        ({"at3": b"\1"}, "invalid TD report type"),
        ({"at128": b"\0"}, "report data"),
        ({"at80": b"\xff"}, "MAC"),  # TEE_INFO_HASH changed after the MAC was made
        ({"at230": b"\xff"}, "MAC"),
    ],
)
def test_enclave_refuses_bad_reports(patch, match):
    with pytest.raises(SealRefused, match=match):
        SoftwareEnclave().answer(_request(**patch))


def test_enclave_refuses_td15_reports_like_the_reference():
    request = KeyRequest(b"app")
    report = build_td_report(request.report_data, version=1)
    with pytest.raises(SealRefused, match="version=1"):
        SoftwareEnclave().answer(GetPersistentKey(report, request.public_key, b"app"))


def test_enclave_refuses_a_report_from_another_platform():
    other = FakeTdxGuest(platform_key=b"\7" * 32)
    with pytest.raises(SealRefused, match="MAC"):
        SoftwareEnclave().answer(_request(guest=other))


def test_enclave_refuses_bad_sizes_and_names():
    good = _request()
    with pytest.raises(SealRefused, match="1024 bytes"):
        SoftwareEnclave().answer(attrs.evolve(good, tdx_report=good.tdx_report[:-1]))
    with pytest.raises(SealRefused, match="64 bytes"):
        SoftwareEnclave().answer(attrs.evolve(good, public_key=good.public_key + b"\0"))
    for name in (b"", b"n" * 257):
        with pytest.raises(SealRefused, match="key name"):
            SoftwareEnclave().answer(attrs.evolve(good, key_name=name))


def test_enclave_refuses_a_public_key_off_the_curve():
    bogus = bytes(64)
    report = FakeTdxGuest().make_report(crypto.tdx_report_data(bogus))
    with pytest.raises(SealRefused, match="not a P-256 point"):
        SoftwareEnclave().answer(GetPersistentKey(report, bogus, b"app"))


def test_software_enclave_quote_is_a_structurally_valid_v3_sgx_quote():
    request = _request()
    answer = SoftwareEnclave().answer(request)
    assert len(answer.sgx_quote) == FAKE_SGX_QUOTE_SIZE == 436
    quote = parse_quote(answer.sgx_quote)
    assert quote.header.version == 3 and quote.header.tee_type == 0
    assert quote.header.attestation_key_type == 2 and quote.header.qe_vendor_id == bytes(16)
    assert quote.body.mr_enclave == INSECURE_FAKE_MR_ENCLAVE
    assert quote.signature_data() == b""
    assert quote.body.report_data == crypto.sgx_report_data(
        request.public_key, answer.encrypted_secret
    )


def test_decrypt_refuses_a_short_secret():
    with pytest.raises(SealMessageError, match="96 bytes"):
        crypto.decrypt_secret(crypto.generate_private_key(), bytes(95))
