"""`cocoon ratls`: certificate and quote tools.

    cocoon ratls gen-cert --name NAME --tdx none|fake|tdx [--force] [--current-time UNIX]
    cocoon ratls quote-info FILE       # a quote, a TD report or an RA-TLS certificate (PEM)

`gen-cert` behaves like the reference's tool: it writes NAME_cert.pem and NAME_key.pem (and,
with a quote, NAME.tdx_report and NAME_image_hash.b64) and refuses to overwrite existing
certificate files without --force (exiting 0 all the same, as the reference does).
"""

from __future__ import annotations

import argparse
import base64
import sys
import time
from pathlib import Path

from cocoon.errors import CocoonError
from cocoon.ratls.cert import Mode, inspect_cert
from cocoon.ratls.identity import Identity, atomic_write, cert_paths
from cocoon.ratls.quote import (
    FAKE_QUOTE_SIZE,
    TD_REPORT_SIZE,
    AttestationData,
    TdxMeasurements,
    fake_quote_attestation,
    parse_quote,
    parse_td_report,
)
from cocoon.ratls.tdx_guest import TdxGuest

MAX_FUTURE_SKEW = 60


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="tool", metavar="TOOL", required=True)
    gen = sub.add_parser("gen-cert", help="make an RA-TLS key and certificate")
    gen.add_argument("-t", "--tdx", default="none", help="none, fake (fake_tdx) or tdx")
    gen.add_argument("-n", "--name", default="test", help="base name of the files (test)")
    gen.add_argument("-f", "--force", action="store_true", help="overwrite existing files")
    gen.add_argument("-c", "--current-time", type=int, help="notBefore as a unix time")
    info = sub.add_parser(
        "quote-info", help="print the measurements of a quote, a TD report or an RA-TLS certificate"
    )
    info.add_argument("file", type=Path, help="quote, TD report, or certificate (PEM)")


def run(args: argparse.Namespace) -> int:
    try:
        if args.tool == "gen-cert":
            return gen_cert(args)
        return quote_info(args.file)
    except BrokenPipeError:
        raise  # `| head`: the command line's to handle
    except (CocoonError, ValueError, OSError) as e:
        print(f"cocoon ratls {args.tool}: {e}", file=sys.stderr)
        return 1


def gen_cert(args: argparse.Namespace) -> int:
    mode = Mode.parse(args.tdx)
    now = int(time.time())
    if args.current_time is not None and args.current_time > now + MAX_FUTURE_SKEW:
        raise ValueError(f"--current-time {args.current_time} is in the future (now {now})")
    base = args.name
    if mode is not Mode.NONE:
        # What the reference writes: the report for 64 zero bytes of report data, and the
        # image hash of that report.
        if mode is Mode.FAKE_TDX:
            report = bytes(FAKE_QUOTE_SIZE)
            attestation = fake_quote_attestation(report)
        else:
            report = TdxGuest().make_report(bytes(64))
            attestation = parse_td_report(report).attestation()
        atomic_write(Path(f"{base}.tdx_report"), report)
        b64 = base64.b64encode(attestation.image_hash)
        atomic_write(Path(f"{base}_image_hash.b64"), b64)
    cert_path, key_path = cert_paths(base)
    if not args.force and (cert_path.exists() or key_path.exists()):
        print("Refusing to overwrite existing files", file=sys.stderr)
        return 0
    identity = Identity.generate(mode, now=args.current_time)
    identity.write(base)
    print(
        f"wrote {cert_path} and {key_path} (valid until {identity.not_after:%Y-%m-%d %H:%M:%S} UTC)"
    )
    return 0


def describe(data: bytes) -> tuple[str, AttestationData]:
    """What a file holds: a fake quote (64 bytes), a TDREPORT (1024 bytes), or a quote."""
    if len(data) == FAKE_QUOTE_SIZE:
        return "fake TDX quote", fake_quote_attestation(data)
    if len(data) == TD_REPORT_SIZE and data[0] == 0x81:
        report = parse_td_report(data)
        return f"TDREPORT (TDX 1.{5 if report.version else 0})", report.attestation()
    quote = parse_quote(data)
    h = quote.header
    kind = "TDX" if quote.is_tdx else "SGX"
    return f"{kind} quote v{h.version} (attestation key type {h.attestation_key_type})", (
        quote.attestation()
    )


def quote_info(path: Path) -> int:
    data = path.read_bytes()
    if data.lstrip().startswith(b"-----BEGIN CERTIFICATE-----"):
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization

        der = x509.load_pem_x509_certificate(data).public_bytes(serialization.Encoding.DER)
        cert = inspect_cert(der)
        print(
            f"{path}: RA-TLS certificate (X.509 v{cert.version}), Ed25519 key "
            f"{cert.public_key.hex()}, valid {cert.not_before:%Y-%m-%d %H:%M:%S} to "
            f"{cert.not_after:%Y-%m-%d %H:%M:%S} UTC"
        )
        if cert.quote is None:
            print("  no quote (attestation none)")
            return 0
        kind, att = describe(cert.quote)
        print(f"  quote: {kind}")
    else:
        kind, att = describe(data)
        print(f"{path}: {kind}")
    m = att.measurements
    if isinstance(m, TdxMeasurements):
        rows = [
            ("MRTD", m.mr_td),
            ("MRCONFIGID", m.mr_config_id),
            ("MROWNER", m.mr_owner),
            ("MROWNERCONFIG", m.mr_owner_config),
            *((f"RTMR{i}", r) for i, r in enumerate(m.rtmr)),
            ("REPORTDATA", m.report_data),
        ]
    else:
        rows = [("MRENCLAVE", m.mr_enclave), ("REPORTDATA", m.report_data)]
    for name, value in rows:
        print(f"  {name:<14} {value.hex()}")
    print(f"  {'image hash':<14} {att.image_hash.hex()}")
    print(f"  {'(base64)':<14} {base64.b64encode(att.image_hash).decode()}")
    return 0
