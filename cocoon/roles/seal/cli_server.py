"""`cocoon seal-server --fake`: answer seal requests with the INSECURE software enclave.

A hardware host runs the reference's seal-server (its signed SGX enclave and Intel's quoting
library); this server stands in for it on machines without SGX, speaking the same bytes."""

from __future__ import annotations

import argparse
import sys
from functools import partial

from cocoon.errors import CocoonError
from cocoon.roles.seal.config import (
    DEFAULT_PORT,
    HAVE_VSOCK,
    VSOCK_CID_ANY,
    SealAddress,
    SealServerConfig,
)
from cocoon.roles.seal.server import serve_seal
from cocoon.service import run_service


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-p",
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port to listen on (default {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--tcp",
        metavar="HOST",
        default=None if HAVE_VSOCK else "127.0.0.1",
        help="listen on TCP at HOST instead of VSOCK",
    )
    parser.add_argument(
        "--fake",
        action="store_true",
        help="INSECURE software enclave (required: no SGX enclave support here)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="seconds a client gets to send each request (default 10)",
    )


def run(args: argparse.Namespace) -> int:
    if not args.fake:
        print(
            "cocoon seal-server: only the INSECURE software enclave is available here; pass "
            "--fake, or run the reference seal-server (tee/sgx-enclave) on an SGX host",
            file=sys.stderr,
        )
        return 2
    try:
        if args.tcp:
            address = SealAddress.tcp(args.tcp, args.port)
        else:
            address = SealAddress.vsock(VSOCK_CID_ANY, args.port)
        config = SealServerConfig(address=address, timeout=args.timeout)
        run_service(partial(serve_seal, config))
    except (CocoonError, OSError) as e:
        print(f"cocoon seal-server: error: {e}", file=sys.stderr)
        return 1
    return 0
