"""`cocoon wire decode PATH...`: show what a captured COCOON byte stream says.

Each PATH is a file holding one direction of a plain (post-TLS) connection, or a folder of such
files (`*.bin`). Prints the SOCKS5 exchange, the router preamble and every frame with the TL
objects carried inside it, and checks that re-encoding gives back the captured bytes.
Streams that begin with the RA-TLS proof of work (still encrypted) are listed and skipped.
"""

from __future__ import annotations

import argparse
import struct
from pathlib import Path

from cocoon.net.capture import Capture, CaptureError, decode_capture, reencode_mismatches
from cocoon.tl.pretty import pretty

_POW_MAGICS = {0x418E1291: "PoW challenge", 0x01827319: "PoW answer"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    dec = sub.add_parser("decode", help="decode captured plain streams")
    dec.add_argument("paths", nargs="+", type=Path, help="capture files or folders of *.bin")
    dec.add_argument("-q", "--quiet", action="store_true", help="one summary line per stream")


def _files(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        out.extend(sorted(p.glob("*.bin")) if p.is_dir() else [p])
    return out


def _summary(capture: Capture) -> str:
    kinds: dict[str, int] = {}
    for f in capture.frames:
        name = f.inner[0].obj.TL_NAME if f.inner else f.packet.TL_NAME
        kinds[name] = kinds.get(name, 0) + 1
    parts = ", ".join(f"{n} x{c}" if c > 1 else n for n, c in kinds.items())
    pre = "preamble, " if capture.preamble else ""
    socks = "socks5, " if capture.socks else ""
    return f"{socks}{pre}{len(capture.frames)} frames: {parts}"


def run(args: argparse.Namespace) -> int:
    failures = 0
    for path in _files(args.paths):
        data = path.read_bytes()
        if len(data) >= 4 and struct.unpack_from("<I", data)[0] in _POW_MAGICS:
            what = _POW_MAGICS[struct.unpack_from("<I", data)[0]]
            print(f"== {path.name}: {len(data)} bytes, starts with a {what}: encrypted, skipped")
            continue
        try:
            capture = decode_capture(data)
        except CaptureError as e:
            print(f"== {path.name}: DOES NOT DECODE: {e}")
            failures += 1
            continue
        problems = reencode_mismatches(capture)
        verdict = "re-encodes byte for byte" if not problems else f"{len(problems)} MISMATCHES"
        print(f"== {path.name}: {len(data)} bytes, {_summary(capture)}; {verdict}")
        failures += bool(problems)
        for problem in problems:
            print(f"   {problem}")
        if args.quiet:
            continue
        for item in capture.socks:
            print(f"  socks5: {item}")
        if capture.preamble is not None:
            print(f"  preamble: {capture.preamble}")
        for frame in capture.frames:
            print(f"  [{frame.seqno}] {pretty(frame.packet, '  ')}")
    return 1 if failures else 0
