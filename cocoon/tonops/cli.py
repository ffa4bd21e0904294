"""`cocoon ton`: addresses and BOCs (`cocoon.ton.cli`), and the operators' tools.

    cocoon ton wallet new --key wallet.key --owner UQ... [--wallet-code local] [--testnet]
    cocoon ton wallet show|deploy|send --key wallet.key --owner UQ... --ledger SPEC
    cocoon ton root deploy --params root.toml --key wallet.key --owner UQ... --ledger SPEC
    cocoon ton root show --root EQ... --ledger SPEC
    cocoon ton root register-proxy|add-image-hash|add-model-hash|set-prices ... --root EQ...

SPEC is an embedded chain's file, http://host:port (`cocoon chain serve`) or
ton:GLOBAL_CONFIG.json (`--ton-config FILE` too). Whatever spends prints what it will send and
asks `Send? [y/N]` (`--yes` sends without asking; without a terminal it refuses).
"""

from __future__ import annotations

import argparse

import trio

from cocoon.ton import cli as ton_cli
from cocoon.tonops import root_cmds, wallet_cmds


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    ton_cli.add_subcommands(sub)
    wallet = sub.add_parser("wallet", help="your CocoonWallet: new, show, deploy, send")
    wallet_cmds.add_arguments(wallet.add_subparsers(dest="wallet_action", required=True))
    root = sub.add_parser("root", help="a root of your own: deploy, show, govern")
    root_cmds.add_arguments(root.add_subparsers(dest="root_action", required=True))


def run(args: argparse.Namespace) -> int:
    if args.action == "wallet":
        return trio.run(wallet_cmds.COMMANDS[args.wallet_action], args)
    if args.action == "root":
        return trio.run(root_cmds.COMMANDS[args.root_action], args)
    return ton_cli.run(args)
