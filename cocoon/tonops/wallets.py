"""The operator's CocoonWallet: which one (seed, owner, subwallet, code), and sending from it.

Which code the wallet is made with decides its address (`--wallet-code`): `chain` asks the
ledger (`Ledger.wallet_code()`: a local chain's is ours, a real chain's the reference's);
`reference` is mainnet's (known here by its hash only: such a wallet's address is exact, but
its first external cannot carry its code, so it cannot be deployed from here unless
`--wallet-code-from` names a deployed wallet of that code to copy the cells from); `local` is
the project's compiled CocoonWallet, deployable anywhere (a network of one's own).
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import attrs
import trio
from pytoniq_core import Address, Cell

from cocoon.errors import ConfigError
from cocoon.roles.chain.ledgers import ledger_spec_from_args, open_ledger_spec
from cocoon.ton.cells import cell_hash, parse_address, raw, to_boc
from cocoon.ton.codes import COCOON_WALLET_CODE, LOCAL_CODES, is_identity_only
from cocoon.ton.errors import LedgerError, WalletTimeoutError
from cocoon.ton.ledger import Ledger, Transaction
from cocoon.ton.messages import ExternalMessage
from cocoon.ton.wallet import Transfer, WalletOrder
from cocoon.ton.wallet_client import Wallet, check_funds
from cocoon.tonops.amounts import format_ton
from cocoon.tonops.seeds import load_seed

WALLET_CODES = ("chain", "reference", "local")
DEFAULT_VALID_FOR = 600  # seconds an external stays valid: a tool waits for it, not an hour
DEFAULT_WAIT = 120.0  # seconds to wait for a destination's transaction on a real chain


def add_wallet_arguments(parser: argparse.ArgumentParser) -> None:
    """Which wallet: `--owner`, `--subwallet`, `--wallet-code`, `--wallet-code-from`."""
    parser.add_argument(
        "--owner", required=True, help="the wallet's owner address (a person's TON wallet)"
    )
    parser.add_argument("--subwallet", type=int, default=0, help="subwallet id (default 0)")
    parser.add_argument(
        "--wallet-code",
        choices=WALLET_CODES,
        help="the code the wallet is made with: chain (what the ledger says; the default with "
        "a ledger), reference (mainnet's; the default without one) or local (this project's)",
    )
    parser.add_argument(
        "--wallet-code-from",
        metavar="ADDRESS",
        help="take the wallet code's cells from this deployed wallet (same code hash), so a "
        "wallet of code known here by hash only can be deployed",
    )


def add_sending_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--yes", action="store_true", help="send without asking")
    parser.add_argument(
        "--valid-for",
        type=int,
        default=DEFAULT_VALID_FOR,
        help="seconds the signed external stays valid (default %(default)s)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=DEFAULT_WAIT,
        help="seconds to wait for the destination's transaction (default %(default)s)",
    )


async def choose_wallet_code(args: argparse.Namespace, ledger: Ledger | None) -> Cell:
    choice = args.wallet_code or ("chain" if ledger is not None else "reference")
    if choice == "chain":
        if ledger is None:
            raise ConfigError("--wallet-code chain needs --ledger")
        code = await ledger.wallet_code()
    else:
        code = COCOON_WALLET_CODE if choice == "reference" else LOCAL_CODES.wallet
    assert code is not None  # LOCAL_CODES has a wallet
    if getattr(args, "wallet_code_from", None):
        if ledger is None:
            raise ConfigError("--wallet-code-from needs --ledger")
        code = await code_from_account(ledger, parse_address(args.wallet_code_from), code)
    return code


async def code_from_account(ledger: Ledger, address: Address, expected: Cell) -> Cell:
    """The code cells of the account at `address`, which must be `expected`'s code."""
    state = await ledger.get_account(address)
    if not state.active or state.code is None:
        raise ConfigError(f"{raw(address)} has no code to take (status {state.status.value})")
    if cell_hash(state.code) != cell_hash(expected):
        raise ConfigError(
            f"{raw(address)} runs code {cell_hash(state.code).hex()}, "
            f"not the wallet code {cell_hash(expected).hex()}"
        )
    return state.code


def code_name(code: Cell) -> str:
    h = cell_hash(code)
    if h == cell_hash(COCOON_WALLET_CODE):
        name = "reference (mainnet's)"
    elif LOCAL_CODES.wallet is not None and h == cell_hash(LOCAL_CODES.wallet):
        name = "local (this project's)"
    else:
        name = "other"
    known = "hash only" if is_identity_only(code) else "real cells"
    return f"{name}, {known}, hash {h.hex()}"


def open_operator_wallet(
    args: argparse.Namespace, ledger: Ledger, seed: bytes, code: Cell
) -> Wallet:
    return Wallet(
        ledger,
        seed,
        parse_address(args.owner),
        code=code,
        subwallet=args.subwallet,
        valid_for=getattr(args, "valid_for", DEFAULT_VALID_FOR),
        resend_every=20.0,
    )


def require_deployable(wallet: Wallet) -> None:
    """An undeployed wallet's first external carries its code: it must be real cells."""
    if is_identity_only(wallet.contract.code):
        raise ConfigError(
            "this wallet's code is known here by its hash only (the reference's CocoonWallet, "
            "mainnet's), so its first external cannot deploy it: use --wallet-code-from ADDRESS "
            "(a deployed wallet of that code) or --wallet-code local (another address)"
        )


async def deploy_wallet(wallet: Wallet, seed: bytes) -> Transaction:
    """The wallet's first external: its StateInit and no messages."""
    require_deployable(wallet)
    ledger = wallet.ledger
    state = await ledger.get_account(wallet.address)
    valid_until = await ledger.now() + wallet.valid_for
    order = WalletOrder(
        subwallet=wallet.contract.subwallet, valid_until=valid_until, seqno=0, messages=()
    )
    external = ExternalMessage(
        dest=wallet.address, body=order.signed_cell(seed), state_init=wallet.contract.state_init()
    )
    return await deliver_external(
        ledger,
        wallet.address,
        to_boc(external.to_cell()),
        cell_hash(external.body),
        after_lt=state.last_tx_lt,
        valid_until=valid_until,
        resend_every=wallet.resend_every,
    )


async def deliver_external(
    ledger: Ledger,
    address: Address,
    boc: bytes,
    body_hash: bytes,
    *,
    after_lt: int,
    valid_until: int,
    resend_every: float,
) -> Transaction:
    """Send an external and resend it until `address` runs it (a transaction whose inbound
    external has `body_hash`) or `valid_until` passes (`WalletTimeoutError`)."""
    while True:
        await ledger.send_external(boc)
        with trio.move_on_after(resend_every):
            while True:
                for tx in await ledger.get_transactions(address, after_lt=after_lt):
                    after_lt = max(after_lt, tx.lt)
                    msg = tx.in_msg
                    if msg is not None and msg.src is None and msg.body_hash == body_hash:
                        return tx
                await ledger.wait_for_change(address, after_lt)
        if await ledger.now() >= valid_until:
            raise WalletTimeoutError("the wallet external expired unexecuted")


async def await_delivery(
    ledger: Ledger, dest: Address, wallet_tx: Transaction, *, after_lt: int, wait: float
) -> Transaction:
    """The destination's transaction for the wallet transaction's first outbound message."""
    if not wallet_tx.out_msgs:
        raise LedgerError("the wallet ran the external but sent nothing (low balance?)")
    sent = wallet_tx.out_msgs[0]
    with trio.move_on_after(wait):
        while True:
            for tx in await ledger.get_transactions(dest, after_lt=after_lt):
                after_lt = max(after_lt, tx.lt)
                msg = tx.in_msg
                if (
                    msg is not None
                    and msg.src is not None
                    and raw(msg.src) == raw(wallet_tx.account)
                    and (msg.created_lt == sent.created_lt)
                ):
                    return tx
            await ledger.wait_for_change(dest, after_lt)
    raise LedgerError(
        f"sent, but {raw(dest)} shows no transaction for it after {wait:g} s: check it later "
        "(cocoon ton root show / wallet show)"
    )


@attrs.frozen
class Session:
    """An open ledger and the operator's wallet on it."""

    ledger: Ledger
    wallet: Wallet
    seed: bytes = attrs.field(repr=False)


@asynccontextmanager
async def open_session(args: argparse.Namespace) -> AsyncIterator[Session]:
    spec = ledger_spec_from_args(args)
    if spec is None:
        raise ConfigError("give --ledger or --ton-config")
    seed = load_seed(args)
    async with open_ledger_spec(spec) as ledger:
        code = await choose_wallet_code(args, ledger)
        wallet = open_operator_wallet(args, ledger, seed, code)
        yield Session(ledger, wallet, seed)


async def preflight(wallet: Wallet, transfers: list[Transfer]) -> list[str]:
    """Refuse before asking what cannot go (funds, an undeployable wallet); notes to show."""
    state = await wallet.state()
    check_funds(state.balance, transfers, wallet.low_balance)
    notes = [f"wallet balance {format_ton(state.balance)}"]
    if not state.active:
        require_deployable(wallet)
        notes.append("the wallet is not deployed yet: this external deploys it too")
    return notes


async def send_one(
    session: Session, transfer: Transfer, *, wait: float
) -> tuple[Transaction, Transaction]:
    """Send `transfer` from the wallet; the wallet's transaction and the destination's."""
    before = await session.ledger.get_account(transfer.dest)
    (wallet_tx,) = await session.wallet.send(transfer)
    dest_tx = await await_delivery(
        session.ledger, transfer.dest, wallet_tx, after_lt=before.last_tx_lt, wait=wait
    )
    return wallet_tx, dest_tx
