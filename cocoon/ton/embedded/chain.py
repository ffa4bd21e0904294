"""The embedded chain's core: accounts, a message queue ordered by logical time, and the three
transaction phases (credit, compute by a contract port, action), synchronous and pure Python.

Phases as TON runs them: storage (the fee due since the last transaction), credit, compute
(skipped, the transaction aborted but on chain with its message, when the value buys no gas:
under the flat gas price, 40,000 nano on mainnet), action (all or nothing), bounce. Value
model (spec 30 section 14.1): `raw_reserve(x, 0)` exact (failure aborts), `(x, 2)` up to;
send modes 0, +1 (fees separately), +2 (ignore errors), +16 (bounce if the action phase
fails), 64 (carry the inbound value), 128 (carry the whole remaining balance), 128+32 (and
delete the account once empty); +4 and +8 fail the action phase (34), a raw message with
another account's `src` too (35). A failed compute phase keeps the old data and bounces a
bounceable message's value (minus fees) with body `0xffffffff ++ first 256 bits`; a failed
action phase aborts the same way but bounces only if a send had +16 (the value stays).
Fees come from a `FeeConfig` (`cocoon.ton.embedded.fees`, which states TON's rules: a bounce
pays the lump price, an external its import fee, a failed compute the gas of its failing check,
storage counts the account's root cell); they are collected, so `minted == balances + fees +
value in flight` always holds. Storage debt is left out: the storage phase takes what the
balance holds, records no due payment (TON's `due_payment`, which FunC's `get_due_payment`
reads) and freezes nothing (TON freezes an account whose debt passes param 20/21's
freeze_due_limit). It matters only to a contract left idle at its floor: ours cost
0.005-0.015 TON a year to store; root and proxy keep 0.01 TON (under a year of it), client and
worker 0.11 TON.

Accounts of kind "user" stand for human wallets (root owner, operators): they accept every
message and send through `send_from_user`. Nothing else can move their money.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

import attrs
from pytoniq_core import Address, Cell, begin_cell

from cocoon.ton.cells import address_of, cell_hash, from_boc, parse_state_init
from cocoon.ton.codes import (
    COCOON_WALLET_CODE_HASH,
    LOCAL_CODES,
    REFERENCE_FAKE_CODES,
    ContractCodes,
)
from cocoon.ton.constants import ExitCode
from cocoon.ton.embedded.contracts import PORTS, Port
from cocoon.ton.embedded.fees import (
    EXTERNAL,
    NO_OP,
    ZERO_FEES,
    FeeConfig,
    account_storage_used,
)
from cocoon.ton.embedded.tvm import Context, ContractError, Reserve, Send
from cocoon.ton.errors import (
    AccountNotFoundError,
    CellDecodeError,
    CellEncodeError,
    ExternalRejectedError,
    LedgerError,
)
from cocoon.ton.ledger import AccountState, AccountStatus, MessageInfo, Transaction
from cocoon.ton.messages import ExternalMessage, InternalMessage

USER = "user"


class ChainStore(Protocol):
    """Where a chain keeps itself between runs (see `cocoon.ton.embedded.store`)."""

    def load(self, chain: Chain) -> None: ...

    def save(
        self, chain: Chain, changed: set[tuple[int, bytes]], txs: list[Transaction]
    ) -> None: ...


MAX_STEPS = 100_000


def key(address: Address) -> tuple[int, bytes]:
    return (address.wc, address.hash_part)


# Send modes TON knows: +1, +2, +16, +32, +64, +128 (+4 and +8 fail the action phase, 34).
_VALID_SEND_MODE = 0xF3


@attrs.frozen
class _ActionResult:
    exit_code: int
    balance: int
    out: list[InternalMessage]
    fees: int
    bounce_on_fail: bool = False  # a send with +16 was reached before the failure
    delete: bool = False  # a send with 128+32 left the balance at 0: the account goes


class ManualClock:
    """A clock that moves only when told to (for tests and deterministic local networks)."""

    def __init__(self, start: int = 1_700_000_000) -> None:
        self._now = start

    def __call__(self) -> int:
        return self._now

    def advance(self, seconds: int) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._now += seconds

    def set(self, now: int) -> None:
        if now < self._now:
            raise ValueError("time only moves forward")
        self._now = now


@attrs.define
class Account:
    address: Address
    balance: int = 0
    code: Cell | None = None
    data: Cell | None = None
    kind: str | None = None  # a port kind, USER, or None (no code we can run)
    last_lt: int = 0
    last_hash: bytes = bytes(32)
    transactions: list[Transaction] = attrs.field(factory=list)

    @property
    def status(self) -> AccountStatus:
        if self.code is not None or self.kind == USER:
            return AccountStatus.ACTIVE
        if self.balance or self.last_lt:
            return AccountStatus.UNINIT
        return AccountStatus.NONEXIST


@attrs.frozen
class ContractView:
    """One contract's observable state: kind, TON balance and its storage as plain data."""

    address: Address
    kind: str
    balance: int
    storage: Any


def _bounce_body(body: Cell | None) -> Cell:
    b = begin_cell().store_uint(0xFFFFFFFF, 32)
    if body is not None:
        b.store_bits(body.bits[:256])
    return b.end_cell()


def _info(msg: InternalMessage) -> MessageInfo:
    return MessageInfo(
        src=msg.src,
        dest=msg.dest,
        value=msg.value,
        body=msg.body,
        bounce=msg.bounce,
        bounced=msg.bounced,
        created_lt=msg.created_lt,
    )


def _nonempty(body: Cell | None) -> Cell | None:
    if body is None or (not len(body.bits) and not body.refs):
        return None
    return body


class Chain:
    """An in-process TON chain. Synchronous; `EmbeddedLedger` wraps it for trio."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] | None = None,
        fees: FeeConfig = ZERO_FEES,
        codes: Iterable[ContractCodes] = (LOCAL_CODES, REFERENCE_FAKE_CODES),
        wallet_code: Cell | None = None,
        store: ChainStore | None = None,
    ) -> None:
        self.clock = clock or time.time
        self.fees = fees
        self.code_kinds: dict[bytes, str] = {COCOON_WALLET_CODE_HASH: "wallet"}
        for c in codes:
            self.code_kinds.update(c.kinds())
        # The code this chain's nodes make their wallets with (`Ledger.wallet_code`); a store
        # keeps the one its chain began with, as its wallets' addresses derive from it.
        # Default: our compiled CocoonWallet, so a local wallet's StateInit is deployable as is.
        wallet_code = wallet_code if wallet_code is not None else LOCAL_CODES.wallet
        assert wallet_code is not None  # LOCAL_CODES has one
        self.wallet_code: Cell = wallet_code
        self.code_kinds[cell_hash(wallet_code)] = "wallet"
        self.accounts: dict[tuple[int, bytes], Account] = {}
        self.minted = 0
        self.fees_collected = 0
        self.lt = 0
        self._queue: list[tuple[int, int, InternalMessage]] = []
        self._seq = 0
        self._listeners: list[Callable[[set[tuple[int, bytes]]], None]] = []
        self._changed: set[tuple[int, bytes]] = set()
        self._new_txs: list[Transaction] = []
        self.store = store
        if store is not None:
            store.load(self)

    # --- time and codes ----------------------------------------------------------------

    def now(self) -> int:
        return int(self.clock())

    def register_code(self, code: Cell, kind: str) -> None:
        """Teach the chain which port runs `code` (e.g. codes from root_upgrade_contracts)."""
        if kind not in PORTS:
            raise ValueError(f"unknown contract kind {kind!r}")
        self.code_kinds[cell_hash(code)] = kind

    def add_listener(self, callback: Callable[[set[tuple[int, bytes]]], None]) -> None:
        """`callback(changed account keys)` after every batch of transactions."""
        self._listeners.append(callback)

    # --- genesis --------------------------------------------------------------------------

    def _account(self, address: Address) -> Account:
        k = key(address)
        acc = self.accounts.get(k)
        if acc is None:
            acc = self.accounts[k] = Account(address=Address(k))
        return acc

    def mint(self, address: Address, amount: int) -> None:
        """Create `amount` nano out of nothing on `address` (genesis and faucet)."""
        if amount < 0:
            raise ValueError("cannot mint a negative amount")
        self._account(address).balance += amount
        self.minted += amount
        self._changed.add(key(address))
        self._flush()

    def create_user(self, address: Address, balance: int = 0) -> Address:
        """An externally controlled account (a human's wallet) holding `balance`."""
        acc = self._account(address)
        if acc.code is not None:
            raise LedgerError(f"{address.to_str(False)} is a contract")
        acc.kind = USER
        self._changed.add(key(address))
        self.mint(address, balance)
        return acc.address

    def deploy(self, init: Cell, balance: int = 0) -> Address:
        """Genesis deployment of a contract with `init` (no message), holding `balance`."""
        address = address_of(init)
        acc = self._account(address)
        if acc.code is not None:
            raise LedgerError(f"{address.to_str(False)} is already deployed")
        if not self._activate(acc, init):
            raise LedgerError("StateInit has no code this chain can run")
        self._changed.add(key(address))
        self.mint(address, balance)
        return acc.address

    def place(self, address: Address, code: Cell, data: Cell, balance: int = 0) -> Address:
        """Genesis contract at a given address, not derived from its StateInit: the fake-TON
        root, whose address is configuration (`cocoon.ton.faketon`)."""
        kind = self.code_kinds.get(cell_hash(code))
        if kind is None:
            raise LedgerError("no code this chain can run")
        acc = self._account(address)
        if acc.code is not None:
            raise LedgerError(f"{address.to_str(False)} is already deployed")
        acc.code, acc.data, acc.kind = code, data, kind
        self._changed.add(key(address))
        self.mint(address, balance)
        return acc.address

    def _activate(self, acc: Account, init: Cell) -> bool:
        try:
            code, data = parse_state_init(init)
        except CellDecodeError:
            return False
        if code is None or data is None or address_of(init) != acc.address:
            return False
        kind = self.code_kinds.get(cell_hash(code))
        if kind is None:
            return False
        acc.code, acc.data, acc.kind = code, data, kind
        return True

    # --- sending --------------------------------------------------------------------------

    def send_from_user(
        self,
        src: Address,
        dest: Address,
        value: int,
        body: Cell | None = None,
        *,
        bounce: bool = True,
        state_init: Cell | None = None,
    ) -> list[Transaction]:
        """A human sends from their wallet (a "user" account): debit, then run to quiescence."""
        acc = self.accounts.get(key(src))
        if acc is None or acc.kind != USER:
            raise LedgerError(f"{src.to_str(False)} is not a user account")
        msg = InternalMessage(
            dest=dest, value=value, body=body, state_init=state_init, bounce=bounce, src=acc.address
        )
        fee = self._forward_fee(msg)
        if value < 0 or value + fee > acc.balance:
            raise LedgerError(f"user account holds {acc.balance}, cannot send {value} + fee {fee}")
        start = len(self._new_txs)
        lt = self._next_lt(0)
        acc.balance -= value + fee
        self.fees_collected += fee
        out = self._emit([msg], lt)
        self._record(acc, lt, None, out, True, 0, fee)
        return self._run(start)

    def submit_external(self, message: Cell | bytes) -> list[Transaction]:
        """Process an external message, then everything it causes. Rejections raise
        `ExternalRejectedError` and change nothing."""
        cell = from_boc(message) if isinstance(message, bytes | bytearray) else message
        ext = ExternalMessage.from_cell(cell)
        start = len(self._new_txs)
        self._process_external(ext, cell)
        return self._run(start)

    def run_until_idle(self, max_steps: int = MAX_STEPS) -> list[Transaction]:
        """Deliver queued messages in logical-time order until none is left."""
        return self._run(len(self._new_txs), max_steps)

    def _run(self, start: int, max_steps: int = MAX_STEPS) -> list[Transaction]:
        steps = 0
        while self._queue:
            steps += 1
            if steps > max_steps:
                raise LedgerError(f"more than {max_steps} messages in one run: a message loop?")
            _, _, msg = heapq.heappop(self._queue)
            self._process_internal(msg)
        produced = self._new_txs[start:]
        self._flush()
        return produced

    def _flush(self) -> None:
        changed, self._changed = self._changed, set()
        txs, self._new_txs = self._new_txs, []
        if self.store is not None:
            self.store.save(self, changed, txs)
        for callback in list(self._listeners):
            callback(changed)

    # --- execution ------------------------------------------------------------------------

    def _next_lt(self, created_lt: int) -> int:
        self.lt = max(self.lt, created_lt) + 1
        return self.lt

    def _emit(self, messages: Sequence[InternalMessage], tx_lt: int) -> tuple[InternalMessage, ...]:
        now = self.now()
        out = []
        for i, m in enumerate(messages):
            stamped = attrs.evolve(m, created_lt=tx_lt + i + 1, created_at=now)
            out.append(stamped)
            self._seq += 1
            heapq.heappush(self._queue, (stamped.created_lt, self._seq, stamped))
        self.lt = max(self.lt, tx_lt + len(messages))
        return tuple(out)

    def _record(
        self,
        acc: Account,
        lt: int,
        in_msg: MessageInfo | None,
        out: tuple[InternalMessage, ...],
        success: bool,
        exit_code: int,
        fees: int,
    ) -> Transaction:
        h = hashlib.sha256()
        h.update(acc.address.hash_part + lt.to_bytes(8, "big") + acc.last_hash)
        h.update(in_msg.body_hash if in_msg is not None else bytes(32))
        tx = Transaction(
            account=acc.address,
            lt=lt,
            hash=h.digest(),
            prev_lt=acc.last_lt,
            now=self.now(),
            in_msg=in_msg,
            out_msgs=tuple(_info(m) for m in out),
            success=success,
            exit_code=exit_code,
            fees=fees,
            balance_after=acc.balance,
        )
        acc.last_lt, acc.last_hash = lt, tx.hash
        acc.transactions.append(tx)
        self._new_txs.append(tx)
        self._changed.add(key(acc.address))
        return tx

    def _port(self, acc: Account) -> Port | None:
        if acc.code is None or acc.kind is None or acc.kind == USER:
            return None
        return PORTS[acc.kind]

    def _compute(
        self, port: Port, ctx: Context, body: Cell, data: Cell, external: bool
    ) -> tuple[int, Cell | None]:
        try:
            new_data = (
                port.external(ctx, body, data) if external else port.internal(ctx, body, data)
            )
        except ContractError as exc:
            return exc.exit_code, None
        except CellDecodeError:
            return ExitCode.CELL_UNDERFLOW, None
        except (CellEncodeError, ValueError):
            return ExitCode.RANGE_CHECK, None
        return ExitCode.OK, new_data

    def _actions(
        self, acc: Account, ctx: Context, balance: int, inbound_left: int
    ) -> _ActionResult:
        """Action phase, all or nothing (TON's): the first failing action aborts it."""
        remaining, reserved, fees = balance, 0, 0
        out: list[InternalMessage] = []
        bounce_on_fail = delete = False

        def failed(code: int) -> _ActionResult:
            return _ActionResult(code, balance, [], 0, bounce_on_fail=bounce_on_fail)

        for action in ctx.actions:
            if isinstance(action, Reserve):
                amount = action.amount
                if action.mode & 2:
                    amount = min(amount, remaining)
                elif amount > remaining:
                    return failed(ExitCode.NOT_ENOUGH_BALANCE)
                remaining -= amount
                reserved += amount
                continue
            assert isinstance(action, Send)
            mode = action.mode
            if mode & 16:  # bounce the inbound message if this or a later action fails
                bounce_on_fail = True
            if mode & ~_VALID_SEND_MODE:  # +4 and +8 are not send modes
                return failed(ExitCode.INVALID_OUTBOUND_MESSAGE)
            msg, raw = action.message, None
            if isinstance(msg, Cell):
                raw = msg
                try:
                    msg = InternalMessage.from_cell(msg)
                except CellDecodeError:
                    if mode & 2:
                        continue
                    return failed(ExitCode.INVALID_OUTBOUND_MESSAGE)
                if msg.src is not None and key(msg.src) != key(acc.address):
                    if mode & 2:
                        continue
                    return failed(ExitCode.INVALID_SOURCE)
            sent = attrs.evolve(msg, src=acc.address, bounced=False)
            fee = self._forward_fee(raw if raw is not None else sent)
            if mode & 128:
                value = remaining
            else:
                value = msg.value + (inbound_left if mode & 64 else 0)
            total = value + fee if mode & 1 else value
            if not mode & 1:
                value -= fee
            if value < 0 or total > remaining:
                if mode & 2:
                    continue
                return failed(ExitCode.NOT_ENOUGH_BALANCE)
            remaining -= total
            fees += fee
            delete = delete or mode & 0xA0 == 0xA0
            out.append(attrs.evolve(sent, value=value))
        new_balance = remaining + reserved
        return _ActionResult(
            ExitCode.OK, new_balance, out, fees, delete=delete and new_balance == 0
        )

    def _forward_fee(self, msg: InternalMessage | Cell) -> int:
        if not self._forwarding_paid:  # zero prices: no need to serialize the message
            return 0
        return self.fees.forward.fee(msg if isinstance(msg, Cell) else msg.to_cell())

    @property
    def _forwarding_paid(self) -> bool:
        f = self.fees.forward
        return bool(f.lump_price or f.bit_price or f.cell_price)

    @property
    def _storage_paid(self) -> bool:
        return bool(self.fees.storage.bit_price_ps or self.fees.storage.cell_price_ps)

    def _storage_phase(self, acc: Account, stored_balance: int) -> int:
        """Charge the storage fee due since the account's last transaction (param 18), as
        far as the balance goes (TON would record the rest as a debt: not modelled)."""
        if acc.kind == USER or acc.code is None or not acc.transactions or not self._storage_paid:
            return 0
        bits, cells = account_storage_used(acc.code, acc.data, stored_balance)
        due = self.fees.storage.fee(bits, cells, self.now() - acc.transactions[-1].now)
        fee = min(due, acc.balance)
        acc.balance -= fee
        self.fees_collected += fee
        return fee

    def _process_internal(self, msg: InternalMessage) -> None:
        acc = self._account(msg.dest)
        lt = self._next_lt(msg.created_lt)
        info = _info(msg)
        backup = (acc.code, acc.data, acc.kind)
        if not acc.code and msg.state_init is not None and acc.kind != USER:
            self._activate(acc, msg.state_init)
        # TON's order: a bounceable message pays storage before its value is credited.
        stored_balance = acc.balance
        storage = self._storage_phase(acc, stored_balance) if msg.bounce else 0
        acc.balance += msg.value
        if not msg.bounce:
            storage = self._storage_phase(acc, stored_balance)
        if acc.kind == USER:
            self._record(acc, lt, info, (), True, ExitCode.OK, 0)
            return
        port = self._port(acc)
        if port is None:
            acc.code, acc.data, acc.kind = backup
            self._fail(acc, lt, msg, info, ExitCode.COMPUTE_SKIPPED, storage, msg.value)
            return
        body = _nonempty(msg.body)
        op = NO_OP if body is None or len(body.bits) < 32 else int(body.bits[:32].to01(), 2)
        # The message buys the gas (no credit for internals): one that cannot buy the flat
        # gas is not computed; the transaction is aborted, the message stays on chain.
        gas_limit = self.fees.gas.bought_for(msg.value)
        if gas_limit == 0:
            acc.code, acc.data, acc.kind = backup
            self._fail(acc, lt, msg, info, ExitCode.NO_GAS, storage, msg.value)
            return
        ctx = Context(
            my_address=acc.address,
            my_balance=acc.balance,  # the TVM sees the balance before the gas is paid
            msg_value=msg.value,
            sender=msg.src,
            now=self.now(),
            bounced=msg.bounced,
        )
        assert acc.data is not None
        exit_code, new_data = ExitCode.OK, None
        if body is not None:  # every contract ignores an empty body (and keeps the value)
            exit_code, new_data = self._compute(port, ctx, body, acc.data, external=False)
        # A failed compute pays the gas its failing check used (the table's figure for that
        # exit code), a successful one its handler's.
        gas_used = self.fees.handler_gas(port.kind, op, exit_code)
        if gas_used > gas_limit:
            exit_code, gas_used = ExitCode.OUT_OF_GAS, gas_limit
        gas = self.fees.gas.fee(gas_used)
        acc.balance -= gas
        self.fees_collected += gas
        inbound_left = max(msg.value - gas, 0)
        fees = storage + gas
        if body is None and exit_code == ExitCode.OK:
            self._record(acc, lt, info, (), True, ExitCode.OK, fees)
            return
        if exit_code != ExitCode.OK:
            acc.code, acc.data, acc.kind = backup
            self._fail(acc, lt, msg, info, exit_code, fees, inbound_left)
            return
        result = self._actions(acc, ctx, acc.balance, inbound_left)
        if result.exit_code == ExitCode.OK:
            self._commit_success(acc, ctx, new_data, result)
            out = self._emit(result.out, lt)
            self._record(acc, lt, info, out, True, ExitCode.OK, fees + result.fees)
            if result.delete:
                acc.code = acc.data = acc.kind = None
            return
        # A failed action phase aborts the transaction (the inbound value stays); it bounces
        # only where a send asked for it (+16).
        acc.code, acc.data, acc.kind = backup
        bounce_value = inbound_left if result.bounce_on_fail else None
        self._fail(acc, lt, msg, info, result.exit_code, fees, bounce_value)

    def _commit_success(
        self, acc: Account, ctx: Context, new_data: Cell | None, result: _ActionResult
    ) -> None:
        if new_data is not None:
            acc.data = new_data
        if ctx.new_code is not None:
            acc.code = ctx.new_code
            acc.kind = self.code_kinds.get(cell_hash(ctx.new_code))
        acc.balance = result.balance
        self.fees_collected += result.fees

    def _fail(
        self,
        acc: Account,
        lt: int,
        msg: InternalMessage,
        info: MessageInfo,
        exit_code: int,
        fees: int,
        bounce_value: int | None,
    ) -> None:
        """Aborted transaction: state unchanged. A bounceable message goes back with
        `bounce_value` (what is left of its value) less the bounce's forwarding fee, if that
        is positive; `bounce_value` None: no bounce (a failed action phase without +16)."""
        out: tuple[InternalMessage, ...] = ()
        if bounce_value is not None and msg.bounce and not msg.bounced and msg.src is not None:
            bounce = InternalMessage(
                dest=msg.src,
                value=0,
                body=_bounce_body(msg.body),
                bounce=False,
                bounced=True,
                src=acc.address,
            )
            # TON prices a bounce by the cells its body refers to (none: the lump price), and
            # sends it when what is left of the inbound value covers that, even if nothing
            # is left after (with zero fees a bounce of nothing is left out).
            fee = self.fees.forward.bounce_fee(bounce.body) if self._forwarding_paid else 0
            value = min(bounce_value, acc.balance) - fee
            if value > 0 or (value == 0 and fee > 0):
                acc.balance -= value + fee
                self.fees_collected += fee
                fees += fee
                out = self._emit([attrs.evolve(bounce, value=value)], lt)
        self._record(acc, lt, info, out, False, exit_code, fees)

    def _process_external(self, ext: ExternalMessage, cell: Cell) -> None:
        acc = self._account(ext.dest)
        backup = (acc.code, acc.data, acc.kind)
        if not acc.code and ext.state_init is not None and acc.kind != USER:
            self._activate(acc, ext.state_init)
        port = self._port(acc)
        if port is None:
            acc.code, acc.data, acc.kind = backup
            raise ExternalRejectedError(
                ExitCode.COMPUTE_SKIPPED, "no code to run at the destination"
            )
        # TON first takes the import fee for the external (its cells outside the root, as a
        # forwarding fee); an account that cannot pay it never sees the message.
        import_fee = self._forward_fee(cell)
        if import_fee > acc.balance:
            acc.code, acc.data, acc.kind = backup
            raise ExternalRejectedError(
                ExitCode.COMPUTE_SKIPPED, "cannot pay the external message's import fee"
            )
        gas_limit = self.fees.gas.bought_for(acc.balance - import_fee)  # after accept_message()
        ctx = Context(
            my_address=acc.address,
            my_balance=acc.balance - import_fee,
            msg_value=0,
            sender=None,
            now=self.now(),
        )
        assert acc.data is not None
        exit_code, new_data = self._compute(port, ctx, ext.body, acc.data, external=True)
        if not ctx.accepted or gas_limit == 0:
            acc.code, acc.data, acc.kind = backup
            raise ExternalRejectedError(exit_code or ExitCode.COMPUTE_SKIPPED, "not accepted")
        lt = self._next_lt(0)
        info = MessageInfo(src=None, dest=acc.address, value=0, body=ext.body)
        acc.balance -= import_fee
        self.fees_collected += import_fee
        before_compute = import_fee + self._storage_phase(acc, acc.balance + import_fee)
        gas_used = self.fees.handler_gas(port.kind, EXTERNAL, exit_code)
        if gas_used > gas_limit:
            exit_code, gas_used = ExitCode.OUT_OF_GAS, gas_limit
        gas = min(self.fees.gas.fee(gas_used), acc.balance)
        acc.balance -= gas
        self.fees_collected += gas
        if exit_code == ExitCode.OK:
            result = self._actions(acc, ctx, acc.balance, 0)
            exit_code = result.exit_code
            if exit_code == ExitCode.OK:
                self._commit_success(acc, ctx, new_data, result)
                out = self._emit(result.out, lt)
                self._record(
                    acc, lt, info, out, True, ExitCode.OK, before_compute + gas + result.fees
                )
                if result.delete:
                    acc.code = acc.data = acc.kind = None
                return
        # Accepted but failed: gas is paid, the StateInit (if any) stays, the data does not move.
        self._record(acc, lt, info, (), False, exit_code, before_compute + gas)

    # --- reading --------------------------------------------------------------------------

    def state(self, address: Address) -> AccountState:
        acc = self.accounts.get(key(address))
        if acc is None:
            return AccountState(
                address=address, status=AccountStatus.NONEXIST, balance=0, sync_utime=self.now()
            )
        return AccountState(
            address=acc.address,
            status=acc.status,
            balance=acc.balance,
            code=acc.code,
            data=acc.data,
            last_tx_lt=acc.last_lt,
            last_tx_hash=acc.last_hash,
            sync_utime=self.now(),
        )

    def transactions(
        self, address: Address, after_lt: int = 0, limit: int | None = None
    ) -> list[Transaction]:
        acc = self.accounts.get(key(address))
        if acc is None:
            return []
        # An account's transactions are in lt order: pollers asking for what is new cost
        # a search, not a scan of the whole history.
        start = bisect.bisect_right(acc.transactions, after_lt, key=lambda t: t.lt)
        end = len(acc.transactions) if limit is None else start + limit
        return acc.transactions[start:end]

    def get_method(self, address: Address, name: str, args: Sequence[Any] = ()) -> list[Any]:
        acc = self.accounts.get(key(address))
        port = None if acc is None else self._port(acc)
        if acc is None or port is None or acc.data is None:
            raise AccountNotFoundError(f"{address.to_str(False)} has no code to run")
        return port.get_method(name, acc.data, tuple(args))

    def storage(self, address: Address) -> Any:
        """The contract's data as plain attrs (`ClientStorage`, `ProxyStorage`, ...)."""
        acc = self.accounts.get(key(address))
        port = None if acc is None else self._port(acc)
        if acc is None or port is None or acc.data is None:
            raise AccountNotFoundError(f"{address.to_str(False)} is not a contract here")
        return port.storage(acc.data)

    def contracts(self) -> list[ContractView]:
        """Every contract with its kind, TON balance and storage (for stats pages and tests)."""
        out = []
        for acc in self.accounts.values():
            port = self._port(acc)
            if port is not None and acc.data is not None:
                out.append(
                    ContractView(acc.address, port.kind, acc.balance, port.storage(acc.data))
                )
        return out

    def balance(self, address: Address) -> int:
        acc = self.accounts.get(key(address))
        return 0 if acc is None else acc.balance

    def in_flight(self) -> int:
        return sum(m.value for _, _, m in self._queue)

    def total(self) -> int:
        """balances + fees + value in flight; equals `minted` in every reachable state."""
        return (
            sum(a.balance for a in self.accounts.values()) + self.fees_collected + self.in_flight()
        )
