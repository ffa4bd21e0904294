"""`cocoon ton root deploy|show|register-proxy|...`: a root of one's own, governed from the
operator's CocoonWallet (the root's owner). Each change is one internal message to the root
(spec 30 section 3.4) with a little TON that the root sends back as excess."""

from __future__ import annotations

import argparse
import json
import secrets
from collections.abc import Callable
from pathlib import Path

from pytoniq_core import Address, Cell

from cocoon.errors import ConfigError
from cocoon.roles.chain.ledgers import add_ledger_arguments, ledger_spec_from_args, open_ledger_spec
from cocoon.roles.common.rootinfo import root_config_json
from cocoon.ton.bodies import (
    Body,
    NetAddr,
    RootAddModelType,
    RootAddProxyType,
    RootAddWorkerType,
    RootChangeParams,
    RootChangePrice,
    RootDelModelType,
    RootDelProxyType,
    RootDelWorkerType,
    RootRegisterProxy,
    RootUnregisterProxy,
    build,
    parse_body,
)
from cocoon.ton.cells import address_of, cell_hash, describe_address, friendly, parse_address, raw
from cocoon.ton.cells import state_init as make_state_init
from cocoon.ton.codes import LOCAL_CODES, MAINNET_CODE_HASHES
from cocoon.ton.constants import COMMISSION_ESTIMATE
from cocoon.ton.embedded.local import DEFAULT_ROOT_BALANCE
from cocoon.ton.errors import LedgerError
from cocoon.ton.ledger import read_root_config
from cocoon.ton.root import RegisteredProxy, RootConfig
from cocoon.ton.wallet import Transfer
from cocoon.tonops.amounts import format_ton, parse_ton
from cocoon.tonops.confirm import Outgoing, confirm, describe
from cocoon.tonops.rootfile import load_root_plan, model_hash
from cocoon.tonops.seeds import add_key_arguments
from cocoon.tonops.wallets import (
    Session,
    add_sending_arguments,
    add_wallet_arguments,
    open_session,
    preflight,
    send_one,
)

# What a governance message carries (local.root_command's default): the root keeps nothing
# of it but the gas; the rest comes back as excess.
ROOT_OP_VALUE = 2 * COMMISSION_ESTIMATE

PRICE_FLAGS = ("price_per_token", "worker_fee_per_token")
PARAM_FLAGS = (
    "proxy_delay_before_close",
    "client_delay_before_close",
    "min_proxy_stake",
    "min_client_stake",
)


def add_arguments(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("deploy", help="deploy a root of this project's contracts")
    _common(p, value_help=f"TON the root starts with (default {format_ton(DEFAULT_ROOT_BALANCE)})")
    p.add_argument("--params", type=Path, metavar="FILE", help="the root's contents (TOML/JSON)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a root key, over the file's (e.g. price_per_token=20)")  # fmt: skip

    p = sub.add_parser("show", help="the root's configuration")
    p.add_argument("--root", required=True, help="the root's address")
    add_ledger_arguments(p)
    p.add_argument("--json", action="store_true", help="as JSON (the stats pages' keys)")
    p.add_argument("--testnet", action="store_true")

    p = sub.add_parser("register-proxy", help="list a proxy's address in the root")
    _op(p)
    p.add_argument("address", help='"ip:port" or "ip_for_workers:port ip_for_clients:port"')

    p = sub.add_parser("unregister-proxy", help="remove a registered proxy by its seqno")
    _op(p)
    p.add_argument("seqno", type=int)

    for action in ("add", "del"):
        p = sub.add_parser(f"{action}-image-hash", help=f"{action} an allowed TDX image hash")
        _op(p)
        p.add_argument("--kind", required=True, choices=("worker", "proxy"))
        p.add_argument("hash", help="the image hash, 64 hex digits")
        p = sub.add_parser(f"{action}-model-hash", help=f"{action} an allowed model")
        _op(p)
        model = p.add_mutually_exclusive_group(required=True)
        model.add_argument("--model", help="the model's name (its sha256 is stored)")
        model.add_argument("--hash", help="the model hash, 64 hex digits")

    p = sub.add_parser("set-prices", help="change prices (and delays, stakes): params_version+1")
    _op(p)
    for name in (*PRICE_FLAGS, *PARAM_FLAGS):
        p.add_argument(f"--{name.replace('_', '-')}", type=int, metavar="N",
                       help="nano-TON" if "delay" not in name else "seconds")  # fmt: skip


def _common(p: argparse.ArgumentParser, *, value_help: str) -> None:
    add_key_arguments(p)
    add_wallet_arguments(p)
    add_ledger_arguments(p)
    add_sending_arguments(p)
    p.add_argument("--value", help=value_help)
    p.add_argument("--testnet", action="store_true", help="testnet address forms")


def _op(p: argparse.ArgumentParser) -> None:
    _common(p, value_help=f"TON sent with it (default {format_ton(ROOT_OP_VALUE)}; excess returns)")
    p.add_argument("--root", required=True, help="the root's address")


# --- show ---------------------------------------------------------------------------------


def root_lines(config: RootConfig, *, testnet: bool) -> list[str]:
    p = config.params
    lines = [
        f"owner        {describe_address(config.owner, testnet=testnet, bounceable=True)}",
        f"version      {config.version} (params_version {p.params_version}, "
        f"struct_version {p.struct_version})",
        f"network id   {p.unique_id}{' (test mode)' if p.is_test else ''}",
        f"prices       {p.price_per_token} nano/token to clients, "
        f"{p.worker_fee_per_token} nano/token to workers",
        "multipliers  prompt {} cached {} completion {} reasoning {} (x10000)".format(
            *p.multipliers
        ),
        f"delays       proxy {p.proxy_delay_before_close} s, client {p.client_delay_before_close} s",
        f"stakes       proxy {format_ton(p.min_proxy_stake)}, client {format_ton(p.min_client_stake)}",
    ]
    for name, code in (("proxy", p.proxy_sc_code), ("worker", p.worker_sc_code),
                       ("client", p.client_sc_code)):  # fmt: skip
        lines.append(f"{name + ' code':<12} {cell_hash(code).hex() if code is not None else '-'}")
    lines.append(
        f"proxies      {len(config.registered_proxies)} (last seqno {config.last_proxy_seqno})"
    )
    for rp in config.registered_proxies:
        usable = "" if rp.usable else "  (unusable: the reference skips it)"
        lines.append(f"  #{rp.seqno} {rp.address.address}{usable}")
    for title, hashes in (("worker images", config.worker_hashes),
                          ("proxy images", config.proxy_hashes),
                          ("models", config.model_hashes)):  # fmt: skip
        lines.append(f"{title:<13} {len(hashes)}")
        lines += [f"  {h.hex()}" for h in sorted(hashes)]
    return lines


async def cmd_show(args: argparse.Namespace) -> int:
    spec = ledger_spec_from_args(args)
    assert spec is not None
    root = parse_address(args.root)
    async with open_ledger_spec(spec) as ledger:
        config = await read_root_config(ledger, root)
        state = await ledger.get_account(root)
    if args.json:
        print(json.dumps(root_config_json(config, testnet=args.testnet), indent=2))
        return 0
    print(f"root         {friendly(root, testnet=args.testnet, bounceable=True)}")
    print(f"balance      {format_ton(state.balance)}")
    if state.code is not None:
        print(f"code         {cell_hash(state.code).hex()} ({_root_code_name(state.code)})")
    print("\n".join(root_lines(config, testnet=args.testnet)))
    return 0


def _root_code_name(code: Cell) -> str:
    h = cell_hash(code)
    if h == cell_hash(LOCAL_CODES.root):
        return "this project's root"
    return "mainnet's root" if h == MAINNET_CODE_HASHES["root"] else "another root code"


# --- deploy -------------------------------------------------------------------------------


async def cmd_deploy(args: argparse.Namespace) -> int:
    plan = load_root_plan(args.params, args.set)
    value = parse_ton(args.value) if args.value else DEFAULT_ROOT_BALANCE
    async with open_session(args) as s:
        config = plan.config(s.wallet.address)
        init = make_state_init(LOCAL_CODES.root, config.to_data())
        root = address_of(init)
        if (await s.ledger.get_account(root)).active:
            print(f"already deployed: {friendly(root, testnet=args.testnet, bounceable=True)}")
            return 0
        # Fees paid apart (+1): the root starts with exactly the value asked for.
        transfer = Transfer(dest=root, value=value, state_init=init, bounce=False, mode=1)
        notes = await preflight(s.wallet, [transfer])
        if config.owner != s.wallet.address:
            notes.append("the owner is not this wallet: these tools cannot govern the root")
        out = Outgoing(
            sender=s.wallet.address,
            dest=root,
            value=value,
            what=f"deploy a root (this project's root code {cell_hash(LOCAL_CODES.root).hex()})",
            bounce=False,
            state_init=init,
            notes=tuple(notes),
        )
        lines = describe(out, testnet=args.testnet)
        lines += ["  the root will hold:"] + [
            "    " + line for line in root_lines(config, testnet=args.testnet)
        ]
        await confirm(lines, yes=args.yes)
        _wallet_tx, root_tx = await send_one(s, transfer, wait=args.wait)
        state = await s.ledger.get_account(root)
    if not state.active:
        raise LedgerError(f"the root did not deploy (exit code {root_tx.exit_code})")
    print(f"root deployed: {friendly(root, testnet=args.testnet, bounceable=True)}  {raw(root)}")
    return 0


# --- governance ---------------------------------------------------------------------------


def _hash_arg(text: str) -> bytes:
    try:
        h = bytes.fromhex(text.strip())
    except ValueError:
        h = b""
    if len(h) != 32:
        raise ConfigError(f"a hash is 64 hex digits, got {text!r}")
    return h


def _query_id() -> int:
    return secrets.randbits(64) or 1  # the reference's: random, non-zero


def _register(args: argparse.Namespace, config: RootConfig) -> tuple[Body, list[str]]:
    try:
        address = NetAddr(args.address)
    except ValueError as e:
        raise ConfigError(f"proxy address: {e}") from e
    notes = [f"it gets seqno {config.last_proxy_seqno + 1}"]
    if not RegisteredProxy(0, address).usable:
        notes.append("clients and workers of the reference skip it: not IPv4 ip:port")
    return RootRegisterProxy(query_id=_query_id(), address=address), notes


def _unregister(args: argparse.Namespace, config: RootConfig) -> tuple[Body, list[str]]:
    notes = [] if config.proxy(args.seqno) else [f"no proxy #{args.seqno} is registered"]
    return RootUnregisterProxy(query_id=_query_id(), seqno=args.seqno), notes


def _image(add: bool) -> Callable[[argparse.Namespace, RootConfig], tuple[Body, list[str]]]:
    def make(args: argparse.Namespace, config: RootConfig) -> tuple[Body, list[str]]:
        h = _hash_arg(args.hash)
        held = config.worker_hashes if args.kind == "worker" else config.proxy_hashes
        types = {
            ("worker", True): RootAddWorkerType,
            ("worker", False): RootDelWorkerType,
            ("proxy", True): RootAddProxyType,
            ("proxy", False): RootDelProxyType,
        }
        notes = [] if (h in held) != add else [f"the root {'has' if add else 'lacks'} it already"]
        return types[args.kind, add](query_id=_query_id(), hash=h), notes

    return make


def _model(add: bool) -> Callable[[argparse.Namespace, RootConfig], tuple[Body, list[str]]]:
    def make(args: argparse.Namespace, config: RootConfig) -> tuple[Body, list[str]]:
        h = model_hash(args.model) if args.model else _hash_arg(args.hash)
        notes = [f"sha256 of {args.model!r}"] if args.model else []
        if (h in config.model_hashes) == add:
            notes.append(f"the root {'has' if add else 'lacks'} it already")
        body_type = RootAddModelType if add else RootDelModelType
        return body_type(query_id=_query_id(), hash=h), notes

    return make


def _prices(args: argparse.Namespace, config: RootConfig) -> tuple[Body, list[str]]:
    given = {
        n: getattr(args, n) for n in (*PRICE_FLAGS, *PARAM_FLAGS) if getattr(args, n) is not None
    }
    if not given:
        raise ConfigError("give at least one of --price-per-token, --worker-fee-per-token, "
                          "--proxy-delay-before-close, ... (see --help)")  # fmt: skip
    p = config.params
    values = {n: given.get(n, getattr(p, n)) for n in (*PRICE_FLAGS, *PARAM_FLAGS)}
    notes = [
        f"params_version {p.params_version} -> {p.params_version + 1}: proxies redeploy their "
        "contracts, clients and workers close their channels to the old ones (spec 30 10.5)"
    ]
    if set(given) <= set(PRICE_FLAGS):
        body: Body = RootChangePrice(query_id=_query_id(), **{n: values[n] for n in PRICE_FLAGS})
    else:
        body = RootChangeParams(query_id=_query_id(), **values)
    return body, notes


OPS: dict[str, tuple[str, Callable[[argparse.Namespace, RootConfig], tuple[Body, list[str]]]]] = {
    "register-proxy": ("register a proxy", _register),
    "unregister-proxy": ("unregister a proxy", _unregister),
    "add-image-hash": ("allow an image", _image(True)),
    "del-image-hash": ("disallow an image", _image(False)),
    "add-model-hash": ("allow a model", _model(True)),
    "del-model-hash": ("disallow a model", _model(False)),
    "set-prices": ("change the root's params", _prices),
}


async def cmd_op(args: argparse.Namespace) -> int:
    what, make = OPS[args.root_action]
    root = parse_address(args.root)
    value = parse_ton(args.value) if args.value else ROOT_OP_VALUE
    async with open_session(args) as s:
        config = await read_root_config(s.ledger, root)
        _check_owner(config, s)
        body, notes = make(args, config)
        cell = build(body)
        transfer = Transfer(dest=root, value=value, body=cell)
        notes = [*await preflight(s.wallet, [transfer]), *notes]
        out = Outgoing(
            sender=s.wallet.address,
            dest=root,
            value=value,
            what=what,
            body=parse_body(cell, "root"),  # what the cell says, not what we meant
            notes=tuple(notes),
        )
        await confirm(describe(out, testnet=args.testnet), yes=args.yes)
        _wallet_tx, root_tx = await send_one(s, transfer, wait=args.wait)
        if not root_tx.success:
            raise LedgerError(f"the root refused it: exit code {root_tx.exit_code}")
        after = await read_root_config(s.ledger, root)
    print(
        f"done: root version {config.version} -> {after.version}, "
        f"params_version {config.params_version} -> {after.params_version}"
    )
    return 0


def _check_owner(config: RootConfig, s: Session) -> None:
    owner = config.owner
    if not isinstance(owner, Address) or raw(owner) != raw(s.wallet.address):
        raise ConfigError(
            f"the root's owner is {describe_address(owner)}, not this wallet "
            f"{raw(s.wallet.address)}: the root would refuse it (exit code 1010)"
        )


COMMANDS = {"deploy": cmd_deploy, "show": cmd_show, **{name: cmd_op for name in OPS}}
