"""The `cocoon` command line: one subcommand per tool or role.

Each subcommand lives in its own module, which provides

    def add_arguments(parser: argparse.ArgumentParser) -> None
    def run(args: argparse.Namespace) -> int

and is imported only when that subcommand runs, so `cocoon --help` stays fast and a role's
dependencies are not loaded for another's command.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from cocoon.errors import CocoonError
from cocoon.lean import lazy_pytoniq_core, skip_attrs_sources

# name -> (module, one-line help). Add a line here to add a subcommand.
COMMANDS: dict[str, tuple[str, str]] = {
    "tl": ("cocoon.tl.__main__", "TL schema tools: constructor ids, encode/decode"),
    "wire": ("cocoon.net.wire_cli", "decode captured COCOON byte streams into TL objects"),
    "ratls": ("cocoon.ratls.cli", "RA-TLS tools: gen-cert, quote-info"),
    "router": ("cocoon.roles.router.cli", "RA-TLS router: reverse and SOCKS5 forward proxy"),
    "seal-server": ("cocoon.roles.seal.cli_server", "answer seal key requests (software enclave)"),
    "seal-client": ("cocoon.roles.seal.cli_client", "get a persistent key from the seal server"),
    "ton": (
        "cocoon.tonops.cli",
        "TON: addresses, BOCs; your wallet, a root of your own (deploy, govern)",
    ),
    "proxy": ("cocoon.roles.proxy.cli", "run a proxy: routes requests, keeps the accounts"),
    "worker": ("cocoon.roles.worker.cli", "run a worker in front of an inference server"),
    "client": ("cocoon.roles.client.cli", "run a client: the OpenAI-compatible API that pays"),
    "client-funds": (
        "cocoon.roles.client.funds_cli",
        "a running client's channels: status, charge, top up, withdraw or close",
    ),
    "network": ("cocoon.network_cli", "a whole local network in one process (the demo)"),
    "chain": ("cocoon.roles.chain.cli", "serve an embedded ledger to roles in other processes"),
    "fake-inference": ("cocoon.backends.fake_cli", "run the fake inference server (TEST backend)"),
}


# Long-running services log their life cycle (INFO: listening, connected, initialized; no
# line per request) unless told otherwise; the tools only warnings. Each -v goes one level down.
SERVICES = frozenset({"proxy", "worker", "client", "router", "chain", "seal-server"})


# What ends a command with one line on stderr instead of a traceback: cocoon's own errors (a bad
# config, an unreachable ledger, a refused peer) and the system's (a port in use, a missing
# file). Anything else is a bug and keeps its traceback; so does everything with -vv.
EXPECTED_ERRORS = (CocoonError, OSError)


def expected_errors(exc: BaseException) -> list[BaseException] | None:
    """The errors `exc` stands for (the leaves of nested exception groups, as trio's nurseries
    raise them) when every one is expected, else None."""
    if isinstance(exc, BaseExceptionGroup):
        leaves: list[BaseException] = []
        for inner in exc.exceptions:
            found = expected_errors(inner)
            if found is None:
                return None
            leaves += found
        return leaves
    return [exc] if isinstance(exc, EXPECTED_ERRORS) else None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cocoon", description=__doc__.splitlines()[0])
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="more logging: services (proxy, worker, client, router, chain, seal-server) log INFO by default and DEBUG with -v; other commands WARNING, INFO with -v, DEBUG with -vv",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_module, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # Parse only up to the subcommand; the subcommand's own parser takes the rest.
    top, rest = parser.parse_known_args(argv)
    module_name, help_text = COMMANDS[top.command]
    # Before the subcommand's imports: what they would load and a process never uses.
    lazy_pytoniq_core()
    skip_attrs_sources()
    module = importlib.import_module(module_name)
    sub = argparse.ArgumentParser(prog=f"cocoon {top.command}", description=help_text)
    module.add_arguments(sub)
    args = sub.parse_args(rest)
    base = logging.INFO if top.command in SERVICES else logging.WARNING
    level = max(logging.DEBUG, base - 10 * top.verbose)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `cocoon ... | head`: the reader left; that is not an error of ours.
        sys.stderr.close()
        return 0
    except (*EXPECTED_ERRORS, BaseExceptionGroup) as exc:
        # Ctrl-C (or SIGINT from a supervisor) inside nested nurseries arrives grouped.
        if isinstance(exc, BaseExceptionGroup) and exc.split(KeyboardInterrupt)[1] is None:
            return 130
        errors = expected_errors(exc)
        if errors is None or top.verbose >= 2:
            raise
        for message in dict.fromkeys(str(e) or type(e).__name__ for e in errors):
            print(f"cocoon {top.command}: {message}", file=sys.stderr)
        return 1
