"""`cocoon seal-client KEY_NAME`: get a persistent key from the seal server, print its SHA-256,
and with `-o FILE` write the raw 32 bytes there (mode 0600, atomically, only on success)."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import trio

from cocoon.errors import CocoonError, ConfigError
from cocoon.roles.seal.client import get_persistent_key
from cocoon.roles.seal.config import (
    DEFAULT_PORT,
    HAVE_VSOCK,
    VSOCK_CID_HOST,
    SealAddress,
    SealClientConfig,
)
from cocoon.roles.seal.guest import FakeTdxGuest
from cocoon.roles.seal.keys import write_key_file


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("key_name", nargs="?", metavar="KEY_NAME", help="name of the key")
    parser.add_argument(
        "-k",
        "--key-name",
        dest="key_name_opt",
        metavar="NAME",
        help="the key name, as an option (default: default)",
    )
    parser.add_argument("-o", "--output", type=Path, help="write the raw key to this file")
    parser.add_argument(
        "-p",
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"seal server port (default {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--cid",
        type=int,
        default=VSOCK_CID_HOST,
        help=f"VSOCK CID of the seal server (default {VSOCK_CID_HOST}, the host)",
    )
    parser.add_argument(
        "--tcp",
        metavar="HOST",
        default=None if HAVE_VSOCK else "127.0.0.1",
        help="connect over TCP to HOST instead of VSOCK",
    )
    parser.add_argument(
        "-m",
        "--mr-enclave",
        action="append",
        default=[],
        metavar="HEX",
        help="allowed MRENCLAVE (64 hex characters); repeatable",
    )
    parser.add_argument(
        "-s", "--skip-validation", action="store_true", help="skip the MRENCLAVE check"
    )
    parser.add_argument(
        "--fake",
        action="store_true",
        help="INSECURE software mode: fake TDREPORT and SGX quote (no hardware)",
    )
    parser.add_argument(
        "--fake-td",
        type=Path,
        metavar="JSON",
        help="measurements of the fake TD (fields of FakeTdxGuest, hex)",
    )
    parser.add_argument(
        "--collateral",
        type=Path,
        metavar="JSON",
        help="DCAP collateral snapshot for verifying the SGX quote (real mode)",
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")


def config_from_args(args: argparse.Namespace) -> SealClientConfig:
    if args.key_name and args.key_name_opt and args.key_name != args.key_name_opt:
        raise ConfigError("give the key name once (KEY_NAME or -k)")
    if args.fake_td and not args.fake:
        raise ConfigError("--fake-td needs --fake")
    guest = FakeTdxGuest()
    if args.fake_td:
        try:
            guest = FakeTdxGuest.from_dict(json.loads(args.fake_td.read_text()))
        except (OSError, ValueError) as e:
            raise ConfigError(f"cannot read {args.fake_td}: {e}") from e
    if args.tcp:
        address = SealAddress.tcp(args.tcp, args.port)
    else:
        address = SealAddress.vsock(args.cid, args.port)
    return SealClientConfig(
        key_name=args.key_name or args.key_name_opt or "default",
        address=address,
        mode="fake" if args.fake else "real",
        mr_enclave=args.mr_enclave,
        skip_validation=args.skip_validation,
        fake_guest=guest,
        collateral=args.collateral,
        timeout=args.timeout,
    )


def run(args: argparse.Namespace) -> int:
    try:
        config = config_from_args(args)
        key = trio.run(get_persistent_key, config)
        if args.output:
            write_key_file(args.output, key, replace=True)
    except (CocoonError, OSError) as e:
        print(f"cocoon seal-client: error: {e}", file=sys.stderr)
        return 1
    print(hashlib.sha256(key).hexdigest())
    return 0
