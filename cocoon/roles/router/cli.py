"""`cocoon router`: the reference router's command line (spec 20 section 6.5).

cocoon router -R 11001:localhost:11101@tdx -R 11002:localhost:11102@any -s -C /etc/tdx/tdx
cocoon router -S 8116@tdx -s
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys

import trio

from cocoon.errors import ConfigError
from cocoon.ratls.dcap import default_verifier
from cocoon.ratls.pow import DEFAULT_DIFFICULTY, DEFAULT_MAX_DIFFICULTY
from cocoon.roles.router.config import EXAMPLE_CONFIG, RouterConfig
from cocoon.roles.router.router import run_router

log = logging.getLogger("cocoon.router")


def _difficulty(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 64:
        raise argparse.ArgumentTypeError("must be 0..64")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    a = parser.add_argument
    a("-c", "--config", help="JSON config file (the reference's format; -g prints one)")
    a("-P", "--policy", action="append", default=[], help="name:type[:h1,h2,...]")
    a("-S", "--socks5", action="append", default=[], help="PORT@POLICY[:hashes]")
    a("-F", "--fwd", action="append", default=[], help="PORT:HOST:DPORT@POLICY[:hashes]")
    a("-R", "--rev", action="append", default=[], help="PORT:HOST:DPORT@POLICY[:hashes]")
    a("-p", "--port", action="append", default=[], help="port:type[:policy[:host:dport]]")
    a("-s", "--serialize-info", action="store_true", help="send the peer-info preamble")
    a("--collateral-hash", help="allowed DCAP root key ids (96 hex each, comma-separated)")
    a("--dcap-collateral", help="DCAP collateral snapshot (JSON) for tdx policies")
    a("-C", "--cert", help="BASE of BASE_cert.pem/BASE_key.pem (reloaded when they change)")
    a("-t", "--threads", type=int, default=0, help="accepted for compatibility; unused")
    a("-d", "--pow-difficulty", type=_difficulty, default=DEFAULT_DIFFICULTY)
    a("-m", "--max-pow-difficulty", type=_difficulty, default=DEFAULT_MAX_DIFFICULTY)
    a("-g", "--generate-config", action="store_true", help="print an example config and exit")


def config_from_args(args: argparse.Namespace) -> RouterConfig:
    return RouterConfig.from_args(
        socks5=args.socks5,
        forward=args.fwd,
        reverse=args.rev,
        legacy=args.port,
        policies=args.policy,
        config_file=args.config,
        cert_base=args.cert,
        serialize_info=args.serialize_info,
        collateral_hashes=args.collateral_hash,
        pow_difficulty=args.pow_difficulty,
        max_pow_difficulty=args.max_pow_difficulty,
        verifier=default_verifier(args.dcap_collateral),
    )


def run(args: argparse.Namespace) -> int:
    if args.generate_config:
        print(json.dumps(EXAMPLE_CONFIG, indent=2))
        return 0
    try:
        config = config_from_args(args)
    except ConfigError as e:
        print(f"cocoon router: {e}", file=sys.stderr)
        return 1
    trio.run(_main, config)
    return 0


async def _main(config: RouterConfig) -> None:
    async with trio.open_nursery() as nursery:
        handle = await nursery.start(run_router, config)
        log.info("router listening on %s", handle.bound)
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for _ in signals:
                nursery.cancel_scope.cancel()
                break
