"""`cocoon ton`: derive contract addresses and look inside BOCs.

    cocoon ton addresses --root EQB... --proxy-owner UQ... --proxy-seed <b64> \
        [--client-wallet UQ... | --wallet-seed <b64> --wallet-owner UQ...] [--worker-owner UQ...] \
        [--params fake|local | --root-data <boc>] [--wallet-code reference|local] [--testnet]
    cocoon ton inspect <boc as hex or base64> [--as client|proxy|worker|root|wallet|payment]
"""

from __future__ import annotations

import argparse
import base64
import binascii
from collections.abc import Callable
from typing import Any

import attrs
from pytoniq_core import Address, Cell

from cocoon.errors import PaymentError
from cocoon.ton import bodies
from cocoon.ton.cells import cell_hash, friendly, from_boc, parse_address, raw
from cocoon.ton.codes import LOCAL_CODES, REFERENCE_FAKE_CODES
from cocoon.ton.contracts import ProxyContract, WalletContract
from cocoon.ton.embedded.local import local_params
from cocoon.ton.errors import CellDecodeError
from cocoon.ton.keys import public_key
from cocoon.ton.params import Params
from cocoon.ton.payments import parse_payment
from cocoon.ton.root import RootConfig
from cocoon.ton.storage import ClientStorage, ProxyStorage, WalletStorage, WorkerStorage


def _bytes(text: str) -> bytes:
    text = text.strip()
    try:
        return bytes.fromhex(text)
    except ValueError:
        pass
    try:
        return base64.b64decode(
            text + "=" * (-len(text) % 4), altchars=b"-_" if "-" in text or "_" in text else None
        )
    except (binascii.Error, ValueError):
        # Never the text itself: it may be a seed.
        raise SystemExit(f"not hex or base64 ({len(text)} characters)") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_subcommands(parser.add_subparsers(dest="action", required=True))


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    """`addresses` and `inspect` (the operators' tools add theirs: `cocoon.tonops.cli`)."""
    a = sub.add_parser("addresses", help="derive proxy, client, worker and wallet addresses")
    a.add_argument("--root", required=True, help="root contract address")
    a.add_argument("--proxy-owner", required=True, help="the proxy operator's owner address")
    key = a.add_mutually_exclusive_group(required=True)
    key.add_argument("--proxy-seed", help="proxy Ed25519 seed (hex or base64)")
    key.add_argument("--proxy-key", help="proxy Ed25519 public key (hex or base64)")
    a.add_argument(
        "--client-wallet", help="client's CocoonWallet address (the client contract's owner)"
    )
    a.add_argument("--wallet-seed", help="a node wallet seed, to derive its CocoonWallet address")
    a.add_argument("--wallet-owner", help="that wallet's owner address")
    a.add_argument("--worker-owner", help="worker operator's owner address")
    a.add_argument(
        "--params",
        choices=["fake", "local"],
        default="fake",
        help="fake: the reference's fake-TON root; local: this project's local network",
    )
    a.add_argument("--root-data", help="the root's data BOC (hex/base64): take params from it")
    a.add_argument(
        "--wallet-code",
        choices=["reference", "local"],
        help="the code the CocoonWallet is made with: reference (mainnet's and fake-TON's) or "
        "local (ours, what local networks use); default: local with --params local, "
        "else reference",
    )
    a.add_argument("--testnet", action="store_true", help="print testnet-flagged addresses")
    i = sub.add_parser("inspect", help="parse a BOC: signed payment, body, storage or root data")
    i.add_argument("boc", help="BOC as hex or base64")
    i.add_argument(
        "--as",
        dest="kind",
        choices=["payment", "params", "root", "proxy", "client", "worker", "wallet"],
        help="what it is (default: try everything)",
    )


def _params(args: argparse.Namespace) -> Params:
    if args.root_data:
        return RootConfig.from_data(from_boc(_bytes(args.root_data))).params
    if args.params == "local":
        return local_params(LOCAL_CODES)
    codes = REFERENCE_FAKE_CODES
    return Params.reference_fake(
        proxy_sc_code=codes.proxy, worker_sc_code=codes.worker, client_sc_code=codes.client
    )


def _wallet_code(args: argparse.Namespace) -> Cell:
    choice = args.wallet_code
    if choice is None:
        choice = "local" if args.params == "local" and not args.root_data else "reference"
    code = LOCAL_CODES.wallet if choice == "local" else REFERENCE_FAKE_CODES.wallet
    assert code is not None  # both sets have one
    return code


def _show(name: str, address: Address, testnet: bool) -> None:
    print(f"{name:<16} {friendly(address, testnet=testnet)}  {raw(address)}")


def addresses(args: argparse.Namespace) -> int:
    key = public_key(_bytes(args.proxy_seed)) if args.proxy_seed else _bytes(args.proxy_key)
    proxy = ProxyContract(
        owner=parse_address(args.proxy_owner),
        public_key=key,
        root=parse_address(args.root),
        params=_params(args),
    )
    print(f"proxy public key {key.hex()}")
    _show("proxy contract", proxy.address, args.testnet)
    client_wallet = parse_address(args.client_wallet) if args.client_wallet else None
    if args.wallet_seed:
        if not args.wallet_owner:
            raise SystemExit("--wallet-seed needs --wallet-owner")
        wallet = WalletContract(
            public_key(_bytes(args.wallet_seed)),
            parse_address(args.wallet_owner),
            code=_wallet_code(args),
        )
        _show("cocoon wallet", wallet.address, args.testnet)
        client_wallet = client_wallet or wallet.address
    if client_wallet is not None:
        _show("client contract", proxy.client(client_wallet).address, args.testnet)
    if args.worker_owner:
        _show(
            "worker contract", proxy.worker(parse_address(args.worker_owner)).address, args.testnet
        )
    return 0


def _plain(value: Any) -> Any:
    if isinstance(value, Address):
        return raw(value)
    if isinstance(value, Cell):
        return f"<cell {cell_hash(value).hex()}>"
    if isinstance(value, bytes):
        return value.hex()
    if attrs.has(type(value)):
        return {f.name: _plain(getattr(value, f.name)) for f in attrs.fields(type(value))}
    return value


def inspect(args: argparse.Namespace) -> int:
    cell = from_boc(_bytes(args.boc))
    print(f"cell hash {cell_hash(cell).hex()}  ({len(cell.bits)} bits, {len(cell.refs)} refs)")
    tries: dict[str, Callable[[Cell], Any]] = {
        "payment": lambda c: parse_payment(_bytes(args.boc)),
        "params": Params.from_cell,
        "root": RootConfig.from_data,
        "proxy": ProxyStorage.from_cell,
        "client": ClientStorage.from_cell,
        "worker": WorkerStorage.from_cell,
        "wallet": WalletStorage.from_cell,
    }
    for contract in bodies.CONTRACT_BODIES:
        tries[f"body to {contract}"] = lambda c, k=contract: bodies.parse_body(c, k)
    names = [args.kind] if args.kind else list(tries)
    found = False
    for name in names:
        try:
            value = tries[name](cell)
        except (CellDecodeError, PaymentError, ValueError) as exc:
            if args.kind:
                print(f"not a {name}: {exc}")
            continue
        found = True
        print(f"{name}: {type(value).__name__}")
        for k, v in _plain(value).items():
            print(f"  {k} = {v}")
    return 0 if found else 1


def run(args: argparse.Namespace) -> int:
    return addresses(args) if args.action == "addresses" else inspect(args)
