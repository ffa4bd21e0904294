"""`cocoon ratls gen-cert` and `cocoon ratls quote-info`."""

from __future__ import annotations

import base64
import subprocess
import sys

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from cocoon.cli import main
from cocoon.ratls.cert import inspect_cert
from cocoon.ratls.identity import Identity
from cocoon.ratls.policy import builtin_policies
from cocoon.ratls.quote import FAKE_IMAGE_HASH, build_td_report

SAMPLE_IMAGE_HASH = "04b3afd931d28680af91a15b09d672c40ad6b141f7f9089a8d67d595220f7436"


def test_quote_info_prints_the_spec_hash(shared_data):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "cocoon",
            "ratls",
            "quote-info",
            str(shared_data / "tdx-quote-sample.dat"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"image hash     {SAMPLE_IMAGE_HASH}" in out
    assert "MRTD           7357a10d2e2724df" in out and "TDX quote v4" in out


def test_quote_info_on_fake_quote_and_td_report(tmp_path, capsys):
    (tmp_path / "fake").write_bytes(bytes(64))
    assert main(["ratls", "quote-info", str(tmp_path / "fake")]) == 0
    assert FAKE_IMAGE_HASH.hex() in capsys.readouterr().out
    (tmp_path / "report").write_bytes(build_td_report(bytes(64), mr_td=b"\x01" * 48))
    assert main(["ratls", "quote-info", str(tmp_path / "report")]) == 0
    out = capsys.readouterr().out
    assert "TDREPORT (TDX 1.0)" in out and "01" * 48 in out
    (tmp_path / "junk").write_bytes(b"\x07" * 100)
    assert main(["ratls", "quote-info", str(tmp_path / "junk")]) == 1
    assert "version 1799" in capsys.readouterr().err


def test_gen_cert_fake(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["ratls", "gen-cert", "--name", "node", "--tdx", "fake"]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["node.tdx_report", "node_cert.pem", "node_image_hash.b64", "node_key.pem"]
    assert (tmp_path / "node.tdx_report").read_bytes() == bytes(64)
    assert base64.b64decode((tmp_path / "node_image_hash.b64").read_bytes()) == FAKE_IMAGE_HASH
    ident = Identity.load(tmp_path / "node")
    assert builtin_policies()["fake_tdx"].validate(ident.quote, ident.public_key, now=0)
    # without --force nothing is overwritten, and the exit code is still 0
    before = (tmp_path / "node_cert.pem").read_bytes()
    assert main(["ratls", "gen-cert", "--name", "node", "--tdx", "fake"]) == 0
    assert (tmp_path / "node_cert.pem").read_bytes() == before
    assert "Refusing to overwrite" in capsys.readouterr().err
    assert main(["ratls", "gen-cert", "--name", "node", "--tdx", "fake", "--force"]) == 0
    assert (tmp_path / "node_cert.pem").read_bytes() != before


def test_gen_cert_none_and_time(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["ratls", "gen-cert", "-n", "plain", "-t", "none", "-c", "1700000000"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain_cert.pem", "plain_key.pem"]
    cert = x509.load_pem_x509_certificate((tmp_path / "plain_cert.pem").read_bytes())
    assert cert.not_valid_before_utc.timestamp() == 1700000000
    info = inspect_cert(cert.public_bytes(serialization.Encoding.DER))
    assert info.quote is None
    assert main(["ratls", "gen-cert", "-n", "late", "-c", "4000000000"]) == 1
    assert "in the future" in capsys.readouterr().err
    assert main(["ratls", "gen-cert", "-n", "x", "-t", "sgx"]) == 1


def test_quote_info_on_the_reference_certificates(shared_data, capsys):
    """A certificate used to be read as a quote ("quote version 11565 is not supported")."""
    certs = shared_data / "ref-certs"
    assert main(["ratls", "quote-info", str(certs / "ref-fake_cert.pem")]) == 0
    out = capsys.readouterr().out
    assert "RA-TLS certificate (X.509 v1)" in out and "quote: fake TDX quote" in out
    image_hash = base64.b64decode((certs / "ref-fake_image_hash.b64").read_bytes())
    assert image_hash.hex() in out
    assert main(["ratls", "quote-info", str(certs / "ref-none_cert.pem")]) == 0
    assert "no quote" in capsys.readouterr().out
