"""`python -m cocoon.tl ids | generate | decode HEX` (also `cocoon tl ...`).

- `ids`: one line per declaration of the reference schema, `name id`, id as 8 lowercase hex
  digits (`--extensions`: cocoon's own declarations, which the reference does not know).
- `generate`: rewrite cocoon/tl/types.py from cocoon/tl/schema.tl.
- `decode HEX`: decode one boxed object and print it (inner TL in bytes fields too).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    ids = sub.add_parser("ids", help="print `name id` for every declaration of the schema")
    ids.add_argument(
        "--extensions",
        action="store_true",
        help="cocoon's own declarations instead of the reference's",
    )
    sub.add_parser("generate", help="regenerate cocoon/tl/types.py from schema.tl")
    dec = sub.add_parser("decode", help="decode a hex-encoded boxed TL object")
    dec.add_argument("hex", help="hex bytes (spaces allowed), or - to read them from stdin")


def run(args: argparse.Namespace) -> int:
    if args.action == "ids":
        from cocoon.tl.schema import extension_schema, reference_schema

        for c in extension_schema() if args.extensions else reference_schema():
            print(f"{c.name} {c.id:08x}")
        return 0
    if args.action == "generate":
        from cocoon.tl.generate import generate_module

        target = Path(__file__).with_name("types.py")
        target.write_text(generate_module())
        print(f"wrote {target}")
        return 0
    from cocoon.tl import TLDecodeError, decode
    from cocoon.tl.pretty import pretty

    text = sys.stdin.read() if args.hex == "-" else args.hex
    try:
        data = bytes.fromhex("".join(text.split()))
        print(pretty(decode(data)))
    except (ValueError, TLDecodeError) as e:
        print(f"cannot decode: {e}", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cocoon.tl", description=__doc__.splitlines()[0]
    )
    add_arguments(parser)
    return run(parser.parse_args())


if __name__ == "__main__":
    raise SystemExit(main())
