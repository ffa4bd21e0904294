"""Which chain a program talks to, from one string: the `--ledger` of the tools, the `ledger`
of a role's config.

    FILE                      an embedded chain kept in that sqlite file (`embedded:FILE` too)
    http://host:port          a chain service (`cocoon chain serve`)
    ton:GLOBAL_CONFIG.json    TON itself, through the liteservers of a TON global config

    async with open_ledger_spec("ton:/etc/cocoon/global.config.json") as ledger:
        state = await ledger.get_account(address)

The ledger is closed (its file, its connections) when the block ends.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import attrs
import trio

from cocoon.errors import ConfigError
from cocoon.ton.ledger import Ledger

TON_PREFIX = "ton:"
EMBEDDED_PREFIX = "embedded:"


@attrs.frozen
class LedgerSpec:
    """A parsed ledger string: `kind` is "embedded", "service" or "ton"; `target` the file
    or URL."""

    kind: str
    target: str

    def __str__(self) -> str:
        return {"embedded": "", "service": "", "ton": TON_PREFIX}[self.kind] + self.target


def parse_ledger_spec(spec: str) -> LedgerSpec:
    spec = spec.strip()
    if not spec:
        raise ConfigError("no ledger given: a chain file, http://host:port or ton:CONFIG.json")
    if spec.startswith(TON_PREFIX):
        target = spec.removeprefix(TON_PREFIX)
        if not target:
            raise ConfigError("ton: needs the path of a TON global config file (ton:FILE)")
        return LedgerSpec("ton", target)
    if spec.startswith(("http://", "https://")):
        return LedgerSpec("service", spec)
    if "://" in spec:
        raise ConfigError(f"unknown ledger URL scheme in {spec!r} (http://host:port)")
    return LedgerSpec("embedded", spec.removeprefix(EMBEDDED_PREFIX))


def add_ledger_arguments(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """`--ledger SPEC` or `--ton-config FILE` (the same as `--ledger ton:FILE`)."""
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument(
        "--ledger",
        metavar="SPEC",
        help="the chain: an embedded chain's file, http://host:port (cocoon chain serve) or "
        "ton:GLOBAL_CONFIG.json (TON's liteservers)",
    )
    group.add_argument(
        "--ton-config",
        metavar="FILE",
        help="a TON global config (mainnet's or testnet's): the same as --ledger ton:FILE",
    )


def ledger_spec_from_args(args: argparse.Namespace) -> LedgerSpec | None:
    if getattr(args, "ton_config", None):
        return LedgerSpec("ton", args.ton_config)
    if getattr(args, "ledger", None):
        return parse_ledger_spec(args.ledger)
    return None


@asynccontextmanager
async def open_ledger_spec(
    spec: str | LedgerSpec, *, create: bool = False
) -> AsyncIterator[Ledger]:
    """The ledger `spec` names, open for the block. An embedded chain's file must exist unless
    `create` (a mistyped path must not become a new, empty chain)."""
    parsed = spec if isinstance(spec, LedgerSpec) else parse_ledger_spec(spec)
    if parsed.kind == "ton":
        async with open_lite_ledger(Path(parsed.target)) as ledger:
            yield ledger
    elif parsed.kind == "service":
        from cocoon.roles.chain.remote import RemoteLedger

        remote = RemoteLedger(parsed.target)
        try:
            yield remote
        finally:
            with trio.CancelScope(shield=True):
                await remote.aclose()
    else:
        from cocoon.roles.chain.remote import open_embedded_ledger

        path = Path(parsed.target)
        if not create and not await trio.Path(path).is_file():
            raise ConfigError(f"no chain file {path} (an embedded chain's sqlite file)")
        embedded = open_embedded_ledger(path)
        try:
            yield embedded
        finally:
            embedded.close()


@asynccontextmanager
async def open_lite_ledger(global_config: Path) -> AsyncIterator[Ledger]:
    """TON through the liteservers of `global_config` (a proof-checking `LiteLedger`,
    imported here only: the other ledgers need none of its modules)."""
    if not await trio.Path(global_config).is_file():
        raise ConfigError(f"no TON global config file {global_config}")
    from cocoon.ton.lite.ledger import open_lite_ledger as open_lite

    async with open_lite(global_config) as ledger:
        yield ledger
