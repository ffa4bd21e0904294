"""`cocoon ton wallet new|show|deploy|send|faucet`: the operator's CocoonWallet."""

from __future__ import annotations

import argparse
from contextlib import AsyncExitStack
from pathlib import Path

from pytoniq_core import Address, Cell, begin_cell

from cocoon.errors import ConfigError
from cocoon.roles.chain.ledgers import (
    add_ledger_arguments,
    ledger_spec_from_args,
    open_ledger_spec,
)
from cocoon.ton.cells import friendly, parse_address, raw
from cocoon.ton.constants import WALLET_MIN_BALANCE
from cocoon.ton.contracts import WalletContract
from cocoon.ton.errors import CellDecodeError
from cocoon.ton.keys import public_key
from cocoon.ton.ledger import AccountState, Ledger, Transaction
from cocoon.ton.storage import WalletStorage
from cocoon.ton.wallet import Transfer
from cocoon.tonops.amounts import format_ton, parse_ton
from cocoon.tonops.confirm import Outgoing, confirm, describe
from cocoon.tonops.seeds import add_key_arguments, new_seed_file
from cocoon.tonops.wallets import (
    add_sending_arguments,
    add_wallet_arguments,
    choose_wallet_code,
    code_name,
    deploy_wallet,
    open_session,
    preflight,
    require_deployable,
    send_one,
)

MAX_COMMENT = 120  # bytes: a text comment fits one cell


def add_arguments(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("new", help="make a new wallet key file and print the wallet's address")
    p.add_argument("--key", type=Path, required=True, metavar="FILE", help="key file to create")
    add_wallet_arguments(p)
    add_ledger_arguments(p, required=False)
    p.add_argument("--testnet", action="store_true", help="testnet address forms")

    p = sub.add_parser("show", help="a wallet's address, status, balance and seqno")
    add_key_arguments(p, required=False)
    p.add_argument("--owner", help="the wallet's owner (with --key/--key-env)")
    p.add_argument("--subwallet", type=int, default=0)
    p.add_argument("--wallet-code", choices=("chain", "reference", "local"))
    p.add_argument("--wallet-code-from", metavar="ADDRESS")
    p.add_argument("--address", help="show this account instead (no key needed)")
    add_ledger_arguments(p)
    p.add_argument("--testnet", action="store_true")

    p = sub.add_parser("deploy", help="deploy the wallet (its first external, with its code)")
    add_common(p)

    p = sub.add_parser("send", help="send TON from the wallet (e.g. to top up a contract)")
    add_common(p)
    p.add_argument("--to", required=True, help="destination address")
    p.add_argument("--amount", required=True, help="TON to send, e.g. 1.5")
    p.add_argument("--comment", help="a text comment to attach")
    bounce = p.add_mutually_exclusive_group()
    bounce.add_argument("--bounce", dest="bounce", action="store_true", default=None)
    bounce.add_argument("--no-bounce", dest="bounce", action="store_false")

    p = sub.add_parser("faucet", help="mint TON onto an address (local chains only)")
    add_ledger_arguments(p)
    p.add_argument("--to", required=True, help="address to fund")
    p.add_argument("--amount", required=True, help="TON to mint")


def add_common(p: argparse.ArgumentParser) -> None:
    add_key_arguments(p)
    add_wallet_arguments(p)
    add_ledger_arguments(p)
    add_sending_arguments(p)
    p.add_argument("--testnet", action="store_true", help="testnet address forms")


def _addresses(address: Address, testnet: bool) -> list[str]:
    return [
        f"address     {friendly(address, testnet=testnet, bounceable=False)}"
        "  (non-bounceable: fund it here)",
        f"            {friendly(address, testnet=testnet, bounceable=True)}  (bounceable)",
        f"raw         {raw(address)}",
    ]


async def cmd_new(args: argparse.Namespace) -> int:
    owner = parse_address(args.owner)
    async with AsyncExitStack() as stack:
        spec = ledger_spec_from_args(args)
        ledger = await stack.enter_async_context(open_ledger_spec(spec)) if spec else None
        code = await choose_wallet_code(args, ledger)
    # The wallet is made only once every check passed: a key file is a wallet.
    seed = new_seed_file(args.key)
    contract = WalletContract(public_key(seed), owner, args.subwallet, code=code)
    lines = [
        f"key file    {args.key} (mode 0600: keep it secret, back it up)",
        f"public key  {contract.public_key.hex()}",
        f"owner       {friendly(owner, testnet=args.testnet, bounceable=False)}",
        f"subwallet   {args.subwallet}",
        f"code        {code_name(code)}",
        *_addresses(contract.address, args.testnet),
        f"next: send it at least {format_ton(WALLET_MIN_BALANCE)} plus what it will spend, "
        "then `cocoon ton wallet deploy`",
    ]
    print("\n".join(lines))
    return 0


def _account_lines(state: AccountState) -> list[str]:
    lines = [f"status      {state.status.value}", f"balance     {format_ton(state.balance)}"]
    if state.active and state.data is not None:
        try:
            data = WalletStorage.from_cell(state.data)
        except CellDecodeError:
            lines.append("data        not a CocoonWallet's")
        else:
            lines += [
                f"seqno       {data.seqno}",
                f"owner       {friendly(data.owner, bounceable=False)}",
                f"public key  {data.public_key.hex()}",
                f"blocked     {'yes' if data.blocked else 'no'}",
            ]
    return lines


async def cmd_show(args: argparse.Namespace) -> int:
    if args.address:
        spec = ledger_spec_from_args(args)
        assert spec is not None  # the ledger arguments are required here
        async with open_ledger_spec(spec) as ledger:
            address = parse_address(args.address)
            state = await ledger.get_account(address)
        print("\n".join([*_addresses(address, args.testnet), *_account_lines(state)]))
        return 0
    if not (args.key or args.key_env) or not args.owner:
        raise ConfigError("give --address, or the wallet's --key/--key-env and --owner")
    async with open_session(args) as s:
        state = await s.wallet.state()
        lines = [
            *_addresses(s.wallet.address, args.testnet),
            f"code        {code_name(s.wallet.contract.code)}",
            *_account_lines(state),
        ]
        if not state.active:
            lines.append(f"seqno       0 (not deployed; it needs {format_ton(WALLET_MIN_BALANCE)})")
    print("\n".join(lines))
    return 0


async def cmd_deploy(args: argparse.Namespace) -> int:
    async with open_session(args) as s:
        state = await s.wallet.state()
        if state.active:
            print(f"already deployed: {friendly(s.wallet.address, testnet=args.testnet)}")
            return 0
        require_deployable(s.wallet)
        if state.balance < WALLET_MIN_BALANCE:
            raise ConfigError(
                f"the wallet holds {format_ton(state.balance)}; it runs externals only from "
                f"{format_ton(WALLET_MIN_BALANCE)}: fund "
                f"{friendly(s.wallet.address, testnet=args.testnet, bounceable=False)} first"
            )
        await confirm(
            [
                "deploy your CocoonWallet (an external with its StateInit, no messages; "
                "spends only fees)",
                f"  wallet  {friendly(s.wallet.address, testnet=args.testnet, bounceable=True)}",
                f"  code    {code_name(s.wallet.contract.code)}",
                f"  balance {format_ton(state.balance)}",
            ],
            yes=args.yes,
        )
        tx = await deploy_wallet(s.wallet, s.seed)
        state = await s.wallet.state()
    print(f"deployed: {state.status.value}, balance {format_ton(state.balance)} (lt {tx.lt})")
    return 0


def comment_body(text: str) -> Cell:
    data = text.encode()
    if len(data) > MAX_COMMENT:
        raise ConfigError(f"a comment is at most {MAX_COMMENT} bytes")
    return begin_cell().store_uint(0, 32).store_bytes(data).end_cell()


async def _default_bounce(ledger: Ledger, text: str, dest: Address) -> bool:
    """The address form's flag where it has one, else: bounce only to a deployed contract
    (a top-up of an account with no code must not come back)."""
    if ":" not in text:
        return bool(Address(text.strip()).is_bounceable)
    return (await ledger.get_account(dest)).active


async def cmd_send(args: argparse.Namespace) -> int:
    dest = parse_address(args.to)
    value = parse_ton(args.amount)
    body = comment_body(args.comment) if args.comment is not None else None
    async with open_session(args) as s:
        bounce = args.bounce
        if bounce is None:
            bounce = await _default_bounce(s.ledger, args.to, dest)
        # Fees paid apart (+1), as people's wallets send: the amount asked for arrives.
        transfer = Transfer(dest=dest, value=value, body=body, bounce=bounce, mode=1)
        notes = await preflight(s.wallet, [transfer])
        out = Outgoing(
            sender=s.wallet.address,
            dest=dest,
            value=value,
            what="send TON",
            bounce=bounce,
            comment=args.comment,
            notes=tuple(notes),
        )
        await confirm(describe(out, testnet=args.testnet), yes=args.yes)
        _wallet_tx, dest_tx = await send_one(s, transfer, wait=args.wait)
        after = await s.ledger.get_account(dest)
    print(f"sent: {outcome(dest_tx, bounce)}; the destination holds {format_ton(after.balance)}")
    return 0 if dest_tx.success or (dest_tx.compute_skipped and not bounce) else 1


def outcome(tx: Transaction, bounce: bool) -> str:
    if tx.success:
        return "the destination's transaction succeeded"
    if tx.compute_skipped and not bounce:
        return "credited (the destination has no code yet: nothing ran there)"
    back = ", the value bounced back" if bounce else ""
    return f"the destination's transaction failed with exit code {tx.exit_code}{back}"


async def cmd_faucet(args: argparse.Namespace) -> int:
    dest = parse_address(args.to)
    value = parse_ton(args.amount)
    spec = ledger_spec_from_args(args)
    assert spec is not None
    async with open_ledger_spec(spec) as ledger:
        faucet = getattr(ledger, "faucet", None)
        if faucet is None:
            raise ConfigError("this ledger has no faucet (only local chains mint TON)")
        await faucet(dest, value)
        state = await ledger.get_account(dest)
    print(f"minted {format_ton(value)}: {raw(dest)} holds {format_ton(state.balance)}")
    return 0


COMMANDS = {
    "new": cmd_new,
    "show": cmd_show,
    "deploy": cmd_deploy,
    "send": cmd_send,
    "faucet": cmd_faucet,
}
