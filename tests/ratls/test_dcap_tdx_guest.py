"""The DCAP verifier interface (fails closed) and quote generation through configfs-tsm."""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path

import pytest

from cocoon.errors import AttestationError
from cocoon.ratls import dcap, tdx_guest
from cocoon.ratls.quote import INTEL_ROOT_KEY_ID, QuoteError, parse_quote


@pytest.fixture(scope="module")
def sample(shared_data) -> bytes:
    return (shared_data / "tdx-quote-sample.dat").read_bytes()


def test_embedded_root_key_id_is_intels(sample):
    assert dcap.embedded_root_key_id(sample) == INTEL_ROOT_KEY_ID


def test_embedded_root_key_id_needs_a_chain(sample):
    with pytest.raises(QuoteError, match="no certificate chain"):
        dcap.embedded_root_key_id(sample[:632] + (4).to_bytes(4, "little") + b"abcd")


def test_unavailable_verifier_rejects(sample):
    with pytest.raises(dcap.DcapUnavailable, match="not supported"):
        dcap.UnavailableVerifier().verify(sample, 0)
    assert isinstance(dcap.default_verifier(None), dcap.UnavailableVerifier)


def test_qvl_verifier_without_package_fails_closed(sample, monkeypatch):
    monkeypatch.setitem(sys.modules, "dcap_qvl", None)  # import raises ImportError
    verifier = dcap.DcapQvlVerifier(lambda quote: object())
    with pytest.raises(dcap.DcapUnavailable, match="dcap-qvl"):
        verifier.verify(sample, 1_700_000_000)
    assert isinstance(dcap.default_verifier("/nonexistent.json"), dcap.UnavailableVerifier)


def _fake_qvl(status: str | None, seen: list) -> types.ModuleType:
    mod = types.ModuleType("dcap_qvl")

    def verify(quote, collateral, now):
        seen.append((quote, collateral, now))
        if status is None:
            raise ValueError("signature mismatch")
        return types.SimpleNamespace(status=status, advisory_ids=[])

    mod.verify = verify
    return mod


def test_qvl_verifier_accepts_only_up_to_date(sample, monkeypatch):
    seen: list = []
    monkeypatch.setitem(sys.modules, "dcap_qvl", _fake_qvl("UpToDate", seen))
    verifier = dcap.DcapQvlVerifier(lambda quote: "collateral")
    att = verifier.verify(sample, 1_700_000_000)
    assert seen == [(sample, "collateral", 1_700_000_000)]
    assert att.collateral_root_hash == INTEL_ROOT_KEY_ID
    assert att.image_hash.hex().startswith("04b3afd9")
    for status in ("OutOfDate", "SWHardeningNeeded", "ConfigurationNeeded", "Revoked"):
        monkeypatch.setitem(sys.modules, "dcap_qvl", _fake_qvl(status, []))
        with pytest.raises(AttestationError, match=status):
            verifier.verify(sample, 1_700_000_000)
    monkeypatch.setitem(sys.modules, "dcap_qvl", _fake_qvl(None, []))
    with pytest.raises(AttestationError, match="signature mismatch"):
        verifier.verify(sample, 1_700_000_000)


def test_qvl_verifier_rejects_garbage_before_the_library(monkeypatch):
    seen: list = []
    monkeypatch.setitem(sys.modules, "dcap_qvl", _fake_qvl("UpToDate", seen))
    with pytest.raises(QuoteError):
        dcap.DcapQvlVerifier(lambda quote: "c").verify(b"garbage" * 10, 0)
    assert seen == []


def test_qvl_verifier_collateral_failure(sample, monkeypatch):
    monkeypatch.setitem(sys.modules, "dcap_qvl", _fake_qvl("UpToDate", []))

    def missing(quote):
        raise OSError("PCCS unreachable")

    with pytest.raises(AttestationError, match="collateral"):
        dcap.DcapQvlVerifier(missing).verify(sample, 0)


# --- configfs-tsm, against a fake tsm directory ---


@pytest.fixture
def fake_tsm(tmp_path, monkeypatch, sample):
    """A directory that behaves like configfs-tsm: a new entry gets its attribute files,
    and its outblob holds a quote for the report data the test will ask for."""
    root = tmp_path / "tsm" / "report"
    root.mkdir(parents=True)
    state = {"report_data": bytes(64), "provider": b"tdx_guest\n", "generation": b"1\n"}
    real_mkdir = os.mkdir

    def mkdir(path, mode=0o777):
        real_mkdir(path, mode)
        p = Path(path)
        if p.parent == root:
            quote = sample[:568] + state["report_data"] + sample[632:]
            (p / "outblob").write_bytes(quote)
            (p / "provider").write_bytes(state["provider"])
            (p / "generation").write_bytes(state["generation"])

    monkeypatch.setattr(tdx_guest.os, "mkdir", mkdir)
    monkeypatch.setattr(tdx_guest.os, "rmdir", lambda p, _r=os.rmdir: (_clear(p), _r(p)))
    return root, state


def _clear(path) -> None:
    for child in Path(path).iterdir():
        child.unlink()


def test_tsm_quote(fake_tsm):
    root, state = fake_tsm
    rd = bytes(range(64))
    state["report_data"] = rd
    quote = tdx_guest.TdxGuest(tsm_root=root).make_quote(rd)
    assert parse_quote(quote).body.report_data == rd
    assert list(root.iterdir()) == []  # the entry was removed


def test_tsm_quote_for_other_report_data(fake_tsm):
    root, state = fake_tsm
    state["report_data"] = b"\x01" * 64
    with pytest.raises(AttestationError, match="other report data"):
        tdx_guest.TdxGuest(tsm_root=root).make_quote(b"\x02" * 64)
    assert list(root.iterdir()) == []


def test_tsm_quote_race_and_provider(fake_tsm):
    root, state = fake_tsm
    state["generation"] = b"2\n"
    with pytest.raises(AttestationError, match="generation 2"):
        tdx_guest.TdxGuest(tsm_root=root).make_quote(bytes(64))
    state["generation"], state["provider"] = b"1\n", b"sev_guest\n"
    with pytest.raises(tdx_guest.TdxUnavailable, match="sev_guest"):
        tdx_guest.TdxGuest(tsm_root=root).make_quote(bytes(64))
    assert list(root.iterdir()) == []


def test_not_a_tdx_guest(tmp_path):
    guest = tdx_guest.TdxGuest(tsm_root=tmp_path / "none", device=tmp_path / "tdx_guest")
    with pytest.raises(tdx_guest.TdxUnavailable, match="not supported"):
        guest.make_quote(bytes(64))
    with pytest.raises(tdx_guest.TdxUnavailable, match="not supported"):
        guest.make_report(bytes(64))
    with pytest.raises(AttestationError, match="64 bytes"):
        guest.make_quote(bytes(32))
