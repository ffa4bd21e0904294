"""Which chain a program talks to, from one string: the `--ledger` of the tools, the `ledger`
of a role's config.

    FILE                      an embedded chain kept in that sqlite file (`embedded:FILE` too)
    http://host:port          a chain service (`cocoon chain serve`)
    ton:GLOBAL_CONFIG.json    TON itself, through the liteservers of a TON global config
    ton:FILE?wallet_code=local&trust=key_blocks&max_head_age=5
                              the same, with the ledger's options: the wallet code the
                              chain's nodes use (`local`: this project's, as a local chain's
                              nodes do; `reference`, the default: mainnet's), the trust
                              stage (`agreement`, the default, or `key_blocks`) and how old
                              a head reads may use, in seconds (`LiteLedgerOptions`)

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


TON_OPTIONS: dict[str, tuple[str, ...] | None] = {  # None: a number of seconds
    "wallet_code": ("reference", "local"),
    "trust": ("agreement", "key_blocks"),
    "max_head_age": None,
}


@attrs.frozen
class LedgerSpec:
    """A parsed ledger string: `kind` is "embedded", "service" or "ton"; `target` the file
    or URL; `options` the `ton:` ledger's (name, value) pairs."""

    kind: str
    target: str
    options: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.options)
        prefix = {"embedded": "", "service": "", "ton": TON_PREFIX}[self.kind]
        return prefix + self.target + (f"?{query}" if query else "")


def _ton_options(query: str) -> tuple[tuple[str, str], ...]:
    out = []
    for item in query.split("&"):
        name, sep, value = item.partition("=")
        if not sep or name not in TON_OPTIONS:
            raise ConfigError(f"unknown ton: ledger option {item!r} (one of {sorted(TON_OPTIONS)})")
        choices = TON_OPTIONS[name]
        if choices is None:
            try:
                ok = 0 < float(value) < float("inf")
            except ValueError:
                ok = False
            if not ok:
                raise ConfigError(f"ton: ledger option {name} is a number of seconds")
        elif value not in choices:
            raise ConfigError(f"ton: ledger option {name} is one of {choices}")
        out.append((name, value))
    return tuple(out)


def parse_ledger_spec(spec: str) -> LedgerSpec:
    spec = spec.strip()
    if not spec:
        raise ConfigError("no ledger given: a chain file, http://host:port or ton:CONFIG.json")
    if spec.startswith(TON_PREFIX):
        target, _, query = spec.removeprefix(TON_PREFIX).partition("?")
        if not target:
            raise ConfigError("ton: needs the path of a TON global config file (ton:FILE)")
        return LedgerSpec("ton", target, _ton_options(query) if query else ())
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
        async with open_lite_ledger(Path(parsed.target), dict(parsed.options)) as ledger:
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
async def open_lite_ledger(
    global_config: Path, options: dict[str, str] | None = None
) -> AsyncIterator[Ledger]:
    """TON through the liteservers of `global_config` (a proof-checking `LiteLedger`,
    imported here only: the other ledgers need none of its modules), with the spec's
    `options` (see the module docstring)."""
    if not await trio.Path(global_config).is_file():
        raise ConfigError(f"no TON global config file {global_config}")
    from cocoon.ton.lite.config import load_global_config
    from cocoon.ton.lite.ledger import open_lite_ledger as open_lite
    from cocoon.ton.lite.ledger import options_for

    options = options or {}
    config = await trio.to_thread.run_sync(load_global_config, global_config)
    ledger_options: dict[str, object] = {}
    if options.get("wallet_code") == "local":
        from cocoon.ton.codes import LOCAL_CODES

        ledger_options["wallet_code"] = LOCAL_CODES.wallet
    if "trust" in options:
        ledger_options["trust"] = options["trust"]
    if "max_head_age" in options:
        ledger_options["max_head_age"] = float(options["max_head_age"])
    async with open_lite(config, options_for(config, **ledger_options)) as ledger:
        yield ledger
