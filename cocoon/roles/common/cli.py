"""What the role entrypoints (`cocoon proxy|worker|client CONFIG`) share: loading the config,
opening the ledger it names, running the role until Ctrl-C."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import trio

from cocoon.errors import CocoonError, ConfigError
from cocoon.service import run_service


def add_config_argument(parser: argparse.ArgumentParser, role: str) -> None:
    parser.add_argument("config", help=f"the {role}'s JSON config file (the reference's keys)")
    # The config class is where the keys are documented (defaults and a comment each).
    parser.epilog = (
        f"The config keys, their defaults and meaning: {role.capitalize()}Config in "
        f"cocoon/roles/{role}/config.py. An environment variable COCOON_<KEY> (the key in "
        "upper case, e.g. COCOON_HTTP_HOST) overrides the file's key."
    )
    chain = parser.add_mutually_exclusive_group()
    chain.add_argument(
        "--ledger", help="override the config's `ledger` (http://host:port or a file)"
    )
    chain.add_argument(
        "-C",  # the reference runners' short form
        "--disable-ton",
        metavar="FAKE_TON_CONFIG",
        help="no chain: the reference's fake-TON mode, root params and proxies from this "
        "file (the reference's rendered fake-ton-config.json); payments are signed, never settled",
    )


def run_role(
    load: Callable[..., Any], run: Callable[..., Awaitable[None]], args: argparse.Namespace
) -> int:
    """Load the config (its keys overridden by `COCOON_<KEY>` environment variables), open its ledger (None when it names none: the role then says whether
    it can do without; a private pseudo chain with `--disable-ton`) and run `run(config, ledger=...)` until interrupted."""
    from cocoon.roles.chain.ledgers import open_ledger_spec, parse_ledger_spec
    from cocoon.roles.chain.remote import RemoteLedger, open_ledger

    ton_spec = None  # TON through liteservers: opened in the role's trio run, which it needs
    try:
        config = load(args.config, environ=os.environ)
        spec = args.ledger or config.ledger
        if getattr(args, "disable_ton", None):
            from cocoon.ton.faketon import open_fake_ton  # a pseudo chain: only when asked

            ledger = open_fake_ton(args.disable_ton, config.root_contract_address)
        elif spec and parse_ledger_spec(spec).kind == "ton":
            ledger, ton_spec = None, spec
            global_config = Path(parse_ledger_spec(spec).target)
            if not global_config.is_file():
                raise ConfigError(f"no TON global config file {global_config}")
        else:
            ledger = open_ledger(spec) if spec else None
    except CocoonError as e:
        print(f"cocoon: {e}", file=sys.stderr)
        return 2

    async def main() -> None:
        if ton_spec is not None:
            async with open_ledger_spec(ton_spec) as lite:
                await run(config, ledger=lite)
            return
        try:
            await run(config, ledger=ledger)
        finally:
            if isinstance(ledger, RemoteLedger):
                with trio.CancelScope(shield=True):
                    await ledger.aclose()

    # Ctrl-C and errors that end the role (an unreachable ledger, a port in use) are left to
    # `cocoon.cli.main`, which ends with one line for those.
    run_service(main)
    return 0
