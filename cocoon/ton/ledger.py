"""The `Ledger` interface: what the roles need from a TON chain, nothing more.

Two implementations are meant to sit behind it: the embedded ledger (`cocoon.ton.embedded`,
in-process, the default for local networks and tests) and a real-TON one (liteservers). Roles
only read account states and transactions, run get-methods, and submit wallet externals.

All methods are async and trio-friendly; none holds a lock across an await of the caller's.
"""

from __future__ import annotations

import abc
import enum
import json
from collections.abc import Sequence
from typing import Any

import attrs
from pytoniq_core import Address, Cell

from cocoon.ton.cells import cell_hash, from_boc, to_boc
from cocoon.ton.codes import COCOON_WALLET_CODE
from cocoon.ton.constants import ExitCode
from cocoon.ton.errors import AccountNotFoundError
from cocoon.ton.root import RootConfig
from cocoon.ton.storage import ClientStorage, ProxyStorage, WalletStorage, WorkerStorage


class AccountStatus(enum.Enum):
    NONEXIST = "nonexist"  # never seen
    UNINIT = "uninit"  # has a balance, no code yet
    ACTIVE = "active"


@attrs.frozen
class AccountState:
    """An account as of `last_tx_lt` (`raw.getAccountState`)."""

    address: Address
    status: AccountStatus
    balance: int  # nano-TON
    code: Cell | None = attrs.field(default=None, eq=False)
    data: Cell | None = attrs.field(default=None, eq=False)
    last_tx_lt: int = 0
    last_tx_hash: bytes = bytes(32)
    sync_utime: int = 0  # chain time the state was read at

    @property
    def data_boc(self) -> bytes | None:
        return None if self.data is None else to_boc(self.data)

    @property
    def active(self) -> bool:
        return self.status is AccountStatus.ACTIVE


@attrs.frozen
class MessageInfo:
    """A message as a transaction lists it. `src` is None for externals."""

    src: Address | None
    dest: Address
    value: int
    body: Cell | None = attrs.field(default=None, eq=False)
    bounce: bool = False
    bounced: bool = False
    created_lt: int = 0

    @property
    def body_hash(self) -> bytes:
        """Representation hash of the body (what the reference matches wallet externals by)."""
        return cell_hash(self.body) if self.body is not None else bytes(32)

    @property
    def op(self) -> int | None:
        if self.body is None or len(self.body.bits) < 32:
            return None
        return int(self.body.bits[:32].to01(), 2)


@attrs.frozen
class Transaction:
    """One transaction of one account."""

    account: Address
    lt: int
    hash: bytes
    prev_lt: int
    now: int
    in_msg: MessageInfo | None
    out_msgs: tuple[MessageInfo, ...] = ()
    success: bool = True  # compute and action phases succeeded
    exit_code: int = 0
    fees: int = 0
    balance_after: int = 0

    @property
    def compute_skipped(self) -> bool:
        """No compute phase ran (no code, or a value that buys no gas): aborted, yet the
        inbound message is on chain."""
        return self.exit_code in (ExitCode.COMPUTE_SKIPPED, ExitCode.NO_GAS)

    @property
    def bought_no_gas(self) -> bool:
        """Not computed for want of gas, at an account with code: how notifications sent with
        a token value (1 nano) arrive on TON, a log to read, not a failure of the contract.
        (A message to an account with no code is no log of it: nothing there sent for it.)"""
        return self.exit_code == ExitCode.NO_GAS


class Ledger(abc.ABC):
    """A TON chain as the roles see it."""

    # The reference's fake-TON mode (`cocoon.ton.faketon`): a role's private pseudo chain, on
    # which nothing another node does is seen; the roles then take the reference's shortcuts.
    fake_ton: bool = False

    @abc.abstractmethod
    async def get_account(self, address: Address) -> AccountState:
        """Current state of `address` (NONEXIST with balance 0 if never seen)."""

    @abc.abstractmethod
    async def get_transactions(
        self, address: Address, *, after_lt: int = 0, limit: int | None = None
    ) -> list[Transaction]:
        """Transactions of `address` with lt > `after_lt`, oldest first (at most `limit`,
        the oldest ones)."""

    @abc.abstractmethod
    async def send_external(self, boc: bytes) -> None:
        """Submit an external message (BOC). Raises `ExternalRejectedError` where the chain
        tells (the embedded ledger always does); a real chain may drop it silently."""

    @abc.abstractmethod
    async def run_get_method(
        self, address: Address, method: str, stack: Sequence[Any] = ()
    ) -> list[Any]:
        """Run a get-method; values are ints, `Address`es and cells."""

    @abc.abstractmethod
    async def wait_for_change(self, address: Address, after_lt: int) -> AccountState:
        """Return the account's state as soon as it has a transaction with lt > `after_lt`."""

    @abc.abstractmethod
    async def now(self) -> int:
        """Chain time (unix seconds), for `valid_until` and unlock times."""

    async def wallet_code(self) -> Cell:
        """The code this chain's nodes make their CocoonWallets with: a wallet's address derives
        from it, and its first external deploys it. The root's data holds no wallet code, so
        the chain says. On a real chain they are the reference's wallets (mainnet's); local
        chains say otherwise (`EmbeddedLedger`: our compiled wallet)."""
        return COCOON_WALLET_CODE


_STORAGE_KINDS = ("root", "proxy", "client", "worker", "wallet")


async def read_root_config(ledger: Ledger, root: Address) -> RootConfig:
    """Parse the root contract's current data into a `RootConfig`."""
    state = await ledger.get_account(root)
    if not state.active or state.data is None:
        raise AccountNotFoundError(f"no root contract at {root.to_str(False)}")
    return RootConfig.from_data(state.data)


async def read_contract(ledger: Ledger, address: Address, kind: str) -> Any:
    """A contract's data as plain attrs: `ProxyStorage`, `ClientStorage`, `WorkerStorage`,
    `WalletStorage` or `RootConfig` for kind "proxy", "client", "worker", "wallet", "root"."""
    if kind not in _STORAGE_KINDS:
        raise ValueError(f"unknown contract kind {kind!r}")
    state = await ledger.get_account(address)
    if not state.active or state.data is None:
        raise AccountNotFoundError(f"no {kind} contract at {address.to_str(False)}")
    parser = {
        "root": RootConfig.from_data,
        "proxy": ProxyStorage.from_cell,
        "client": ClientStorage.from_cell,
        "worker": WorkerStorage.from_cell,
        "wallet": WalletStorage.from_cell,
    }[kind]
    return parser(state.data)


# --- plain JSON forms (the embedded chain's file and the ledger service) ------------------


def _addr(value: Address | None) -> str | None:
    return None if value is None else f"{value.wc}:{value.hash_part.hex()}"


def _unaddr(value: str | None) -> Address | None:
    return None if value is None else Address(value)


def _msg(m: MessageInfo | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {
        "src": _addr(m.src),
        "dest": _addr(m.dest),
        "value": str(m.value),
        "body": None if m.body is None else to_boc(m.body).hex(),
        "bounce": m.bounce,
        "bounced": m.bounced,
        "created_lt": m.created_lt,
    }


def _unmsg(d: dict[str, Any] | None) -> MessageInfo | None:
    if d is None:
        return None
    dest = _unaddr(d["dest"])
    assert dest is not None
    return MessageInfo(
        src=_unaddr(d["src"]),
        dest=dest,
        value=int(d["value"]),
        body=None if d["body"] is None else from_boc(bytes.fromhex(d["body"])),
        bounce=d["bounce"],
        bounced=d["bounced"],
        created_lt=d["created_lt"],
    )


def transaction_to_json(tx: Transaction) -> str:
    """A transaction as JSON text (the embedded chain's file, the ledger service)."""
    return json.dumps(
        {
            "hash": tx.hash.hex(),
            "prev_lt": tx.prev_lt,
            "now": tx.now,
            "in_msg": _msg(tx.in_msg),
            "out_msgs": [_msg(m) for m in tx.out_msgs],
            "success": tx.success,
            "exit_code": tx.exit_code,
            "fees": str(tx.fees),
            "balance_after": str(tx.balance_after),
        }
    )


def transaction_from_json(account: Address, lt: int, text: str) -> Transaction:
    """The inverse of `transaction_to_json`."""
    d = json.loads(text)
    return Transaction(
        account=account,
        lt=lt,
        hash=bytes.fromhex(d["hash"]),
        prev_lt=d["prev_lt"],
        now=d["now"],
        in_msg=_unmsg(d["in_msg"]),
        out_msgs=tuple(m for m in (_unmsg(x) for x in d["out_msgs"]) if m is not None),
        success=d["success"],
        exit_code=d["exit_code"],
        fees=int(d["fees"]),
        balance_after=int(d["balance_after"]),
    )
