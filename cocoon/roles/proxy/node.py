"""The proxy's shared state and its money loops (spec 30 sections 9-12).

Durability, in the order the spec requires (section 12.3): a finished request adds its tokens
to the client's and worker's `max` in memory; the database loop writes every changed record
(numbered by a DB seqno, flushed to disk) and, every `state_commit_interval`, sends a state
commit `(seqno, session_hash)` to the proxy's own contract **after** the flush; when the chain
shows that commit, everything written up to that seqno becomes `committed_to_blockchain`, the
only value a signed payment is ever made for. Payment messages that report `db_tokens` wait
for the flush that holds them.

Rollback detection (section 11.2): each process start picks a random session hash and
anchors a commit before serving. A commit on-chain from our wallet that is not one we wrote
(a restored or copied database, or two proxies on one database) stops the proxy from signing
or serving: it is disabled with an alert instead of trusting its records.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import attrs
import trio
from pytoniq_core import Address, Cell

from cocoon.errors import CocoonError, PaymentError
from cocoon.roles.common.counters import CounterSet
from cocoon.roles.common.root import RootView
from cocoon.roles.proxy.accounts import ClientAccount, WorkerAccount
from cocoon.roles.proxy.config import ProxyConfig
from cocoon.roles.proxy.registry import SelectionPolicy, WorkerRegistry
from cocoon.roles.proxy.retired import RETRY_DELAY, RetiredInstance, close_instance, retire
from cocoon.roles.proxy.slots import SlotQueue
from cocoon.roles.proxy.store import CONFIG_KEY, ProxyStore, client_key, worker_key
from cocoon.ton import flows
from cocoon.ton.bodies import (
    ClientProxyRegister,
    ClientProxyRequest,
    ProxySaveState,
    WorkerProxyRequest,
    parse_body,
)
from cocoon.ton.cells import friendly, parse_address
from cocoon.ton.constants import ExitCode
from cocoon.ton.contracts import ProxyContract
from cocoon.ton.counters import CounterOrderError, PaymentCounters
from cocoon.ton.errors import CellDecodeError, LedgerError
from cocoon.ton.ledger import Ledger, Transaction, read_contract
from cocoon.ton.params import Params
from cocoon.ton.payments import PaymentKind, PaymentSigner, SignedPayment
from cocoon.ton.wallet_client import Wallet

if TYPE_CHECKING:
    from cocoon.roles.proxy.clients import ClientSession
    from cocoon.roles.proxy.metrics import ProxyMetrics
    from cocoon.roles.proxy.requests import RunningRequest
    from cocoon.roles.proxy.workers import WorkerSession

log = logging.getLogger("cocoon.proxy")
SHUTDOWN_FLUSH_TIMEOUT = 5.0  # the last database write when the proxy stops
# Requests finishing within this long of each other share one (fsync-ed) database write;
# their payment receipts wait for it, so it bounds how late a receipt is, not an answer.
FLUSH_GATHER = 0.05
REDEPLOY_DRAIN_TIMEOUT = 10.0  # running requests settle before their accounts are retired


class ProxyDisabled(CocoonError):
    """The proxy refuses to serve (disabled by its operator, or its records failed a check)."""


def owner_key(address: Address, testnet: bool = False) -> str:
    """How the proxy names a client or worker owner: user-friendly, non-bounceable."""
    return friendly(address, testnet=testnet, bounceable=False)


class RegisterFailed(CocoonError):
    """The client's register notification failed on our contract: it will never arrive."""

    def __init__(self, exit_code: int) -> None:
        try:
            name = f", {ExitCode(exit_code).name}"
        except ValueError:
            name = ""
        super().__init__(
            f"the client's register notification failed on the proxy contract "
            f"(exit code {exit_code}{name})"
        )
        self.exit_code = exit_code


class ProxyNode:
    def __init__(
        self,
        config: ProxyConfig,
        ledger: Ledger,
        root: RootView,
        store: ProxyStore,
        *,
        wallet_code: Cell,  # the ledger's (`Ledger.wallet_code()`): the wallet's address
    ) -> None:
        self.config = config
        self.ledger = ledger
        self.root = root
        self.store = store
        self.signer = PaymentSigner(config.machine_specific_private_key)
        self.owner = parse_address(config.owner_address)
        self.wallet = Wallet(ledger, config.node_wallet_key, self.owner, code=wallet_code)
        self.registry = WorkerRegistry(
            SelectionPolicy(latency_prior=config.latency_prior, price_weight=config.price_weight)
        )
        self.clients: dict[str, ClientAccount] = {}
        self.workers: dict[str, WorkerAccount] = {}
        self.requests: dict[bytes, RunningRequest] = {}  # by the proxy's request id
        self.slots = SlotQueue(config.busy_queue_limit)  # requests waiting for a busy model
        self.worker_sessions: dict[int, WorkerSession] = {}  # by connection id
        self.stats = CounterSet()
        self.metrics: ProxyMetrics | None = None  # set by the web app that serves /metrics
        self.session_hash = secrets.token_bytes(32)
        self.seqno = 0
        self.pending: dict[int, str] = {}  # DB seqno -> session hash (hex) committed with it
        self.sc_last_lt = 0
        self.contract: ProxyContract | None = None
        self.sc_balance = 0  # earnings ready to withdraw
        self.sc_state = 0
        self.initialized = trio.Event()
        self.settled = trio.Event()  # initialized, or failed before it could be
        self.failure: str | None = None
        self.manually_disabled = False
        self._next_conn_id = 0
        self._flush_requested = trio.Event()
        self._next_flushed = trio.Event()
        self._flush_lock = trio.Lock()
        self._commit_in_flight = False
        self._next_commit_at = 0.0
        self._contract_record: tuple[ProxyContract, dict[str, Any]] | None = None
        self._auth_waiters: dict[int, tuple[str, trio.Event]] = {}
        self._registered_nonces: dict[int, str] = {}
        self._failed_registers: dict[int, tuple[str, int]] = {}  # nonce -> (owner, exit code)
        self.withdrawing = False
        self.moving = False  # between a params change and the switch to the new contract
        self.retired: dict[str, RetiredInstance] = {}  # old contracts being closed, by key
        self.connections: set[ClientSession | WorkerSession] = set()  # every open connection
        self._watch_scope = trio.CancelScope()

    # ------------------------------------------------------------------ views

    @property
    def sc_address(self) -> Address:
        assert self.contract is not None
        return self.contract.address

    @property
    def price(self) -> int:
        return self.root.require().price_per_token

    @property
    def serving(self) -> bool:
        return self.initialized.is_set() and self.failure is None and not self.manually_disabled

    def check_serving(self) -> None:
        if self.failure is not None:
            raise ProxyDisabled(f"proxy is disabled: {self.failure}")
        if self.manually_disabled or not self.initialized.is_set():
            raise ProxyDisabled("proxy is not participating in this iteration")

    def new_conn_id(self) -> int:
        self._next_conn_id += 1
        return self._next_conn_id

    def fail(self, reason: str) -> None:
        """Stop serving and signing: our records cannot be trusted."""
        if self.failure is None:
            self.failure = reason
            log.critical("PROXY DISABLED: %s", reason)
        self.settled.set()

    # ------------------------------------------------------------------ accounts

    def client(self, owner: Address) -> ClientAccount:
        key = owner_key(owner, self.config.is_testnet)
        acc = self.clients.get(key)
        if acc is None:
            assert self.contract is not None
            acc = ClientAccount(key, owner, self.contract.client(owner).address)
            self.clients[key] = acc
        return acc

    def worker(self, owner: Address) -> WorkerAccount:
        key = owner_key(owner, self.config.is_testnet)
        acc = self.workers.get(key)
        if acc is None:
            assert self.contract is not None
            acc = WorkerAccount(key, owner, self.contract.worker(owner).address)
            self.workers[key] = acc
        return acc

    def client_payment(self, acc: ClientAccount) -> SignedPayment:
        return acc.tokens.signed_payment(
            self.signer, PaymentKind.CLIENT_CHARGE, acc.sc_address, self.wallet.address
        )

    def worker_payment(self, acc: WorkerAccount) -> SignedPayment:
        return acc.tokens.signed_payment(
            self.signer, PaymentKind.WORKER_PAYOUT, acc.sc_address, self.wallet.address
        )

    # ------------------------------------------------------------------ durability

    def _config_record(self) -> dict[str, Any]:
        contract = self.contract
        assert contract is not None
        if self._contract_record is None or self._contract_record[0] is not contract:
            # What only changes with the contract is serialised once, not at every write.
            self._contract_record = (
                contract,
                {
                    "root": contract.root.to_str(is_user_friendly=False),
                    "params_version": contract.params.params_version,
                    "params": contract.params.to_cell().to_boc().hex(),
                    "proxy_sc": contract.address.to_str(is_user_friendly=False),
                },
            )
        return {
            **self._contract_record[1],
            "seqno": self.seqno,
            "pending": {str(k): v for k, v in self.pending.items()},
            "sc_last_lt": self.sc_last_lt,
        }

    async def flushed(self) -> None:
        """Return once a database write that started after this call has completed: every
        token accounted before the call is then durable (and in `tokens_committed_to_db`)."""
        done = self._next_flushed
        self._flush_requested.set()
        await done.wait()

    async def flush(self) -> None:
        async with self._flush_lock:
            done, self._next_flushed = self._next_flushed, trio.Event()
            self.seqno += 1
            seqno = self.seqno
            records: dict[str, Any] = {}
            # What this write holds; it counts as committed to the database (and is told to
            # workers and clients as `db_tokens`) only once the write is on disk.
            written: list[tuple[PaymentCounters, int]] = []
            for acc in self.clients.values():
                if acc.tokens.tokens_max > acc.tokens.tokens_committed_to_db or acc.dirty:
                    records[client_key(acc.owner)] = acc.record()
                    written.append((acc.tokens, acc.tokens.tokens_max))
                    acc.dirty = False
            for wacc in self.workers.values():
                if wacc.tokens.tokens_max > wacc.tokens.tokens_committed_to_db or wacc.dirty:
                    records[worker_key(wacc.owner)] = wacc.record()
                    written.append((wacc.tokens, wacc.tokens.tokens_max))
                    wacc.dirty = False
            commit = (
                not self._commit_in_flight
                and not self.moving  # no commit anchors the contract being left
                and self.failure is None
                and (trio.current_time() >= self._next_commit_at or not self.initialized.is_set())
            )
            if commit:
                self.pending[seqno] = self.session_hash.hex()
            records[CONFIG_KEY] = self._config_record()
            await trio.to_thread.run_sync(self.store.write, records)
            for counters, tokens in written:
                counters.committed_to_db(seqno, tokens)
            done.set()
        if commit:
            self._commit_in_flight = True
            self._next_commit_at = trio.current_time() + self.config.state_commit_interval
            self._nursery.start_soon(self._send_commit, seqno)

    async def _send_commit(self, seqno: int) -> None:
        try:
            await self.wallet.send(
                flows.proxy_state_commit(self.sc_address, seqno, self.session_hash)
            )
        except (LedgerError, PaymentError) as e:
            log.warning("state commit %d not sent: %s", seqno, e)
            self._next_commit_at = trio.current_time()  # try again at the next write
        finally:
            self._commit_in_flight = False

    async def write_records(self, records: dict[str, Any]) -> None:
        """Write these records (None deletes) in one durable transaction, between the
        database loop's writes."""
        async with self._flush_lock:
            await trio.to_thread.run_sync(self.store.write, records)

    def mark_dirty(self, acc: ClientAccount | WorkerAccount) -> None:
        acc.dirty = True

    async def db_loop(self) -> None:
        try:
            while True:
                with trio.move_on_after(self.config.db_write_interval):
                    await self._flush_requested.wait()
                    await trio.sleep(FLUSH_GATHER)
                self._flush_requested = trio.Event()
                await self.flush()
        finally:
            # Stopping: write what was accounted. This also releases `flushed()` waiters,
            # whose shielded payment sends would otherwise sit out their whole timeout.
            with trio.CancelScope(shield=True), trio.move_on_after(SHUTDOWN_FLUSH_TIMEOUT):
                await self.flush()

    # ------------------------------------------------------------------ the chain

    def load(self) -> None:
        """Records from the database: their tokens count as committed (section 11.2). Records
        of an earlier proxy contract (the root's params changed while we were down) are
        retired with it rather than carried over: the new contract owes nobody anything yet."""
        stored = self.store.load()
        for key, record in stored.retired.items():
            self.retired[key] = RetiredInstance.from_record(
                record, self.owner, self.signer.public_key
            )
        old = self._stored_contract(stored.config)
        if old is not None and old.address != self.sc_address:
            log.info(
                "the root's params changed since the last run: retiring proxy contract %s",
                old.address.to_str(),
            )
            inst = retire(old, stored.clients, stored.workers)
            records: dict[str, Any] = {client_key(c.owner_address): None for c in stored.clients}
            records.update({worker_key(w.owner_address): None for w in stored.workers})
            records[inst.key] = inst.record()
            self.seqno = int(stored.config.get("seqno", 0))  # type: ignore[union-attr]
            records[CONFIG_KEY] = self._config_record()
            self.store.write(records)
            self.retired[inst.key] = inst
            return
        cfg = stored.config or {}
        self.seqno = int(cfg.get("seqno", 0))
        self.pending = {int(k): v for k, v in cfg.get("pending", {}).items()}
        self.sc_last_lt = int(cfg.get("sc_last_lt", 0))
        for info in stored.clients:
            owner = parse_address(info.owner_address)
            acc = self.client(owner)
            acc.tokens = PaymentCounters.restored(info.tokens_used, info.sc_tokens_used)
            acc.known_on_chain = info.status >= 0
            acc.sc_state, acc.sc_balance, acc.sc_stake = (
                max(info.status, 0),
                info.balance,
                info.stake,
            )
            acc.secret_hash = info.secret_hash
            acc.last_request_at = info.last_request_at
        for winfo in stored.workers:
            wacc = self.worker(parse_address(winfo.owner_address))
            wacc.tokens = PaymentCounters.restored(winfo.tokens, winfo.sc_tokens)
            wacc.last_request_at = winfo.last_request_at

    def _stored_contract(self, config: dict[str, Any] | None) -> ProxyContract | None:
        """The proxy contract the database's records belong to (None for a new database)."""
        if not config or "params" not in config:
            return None
        return ProxyContract(
            owner=self.owner,
            public_key=self.signer.public_key,
            root=parse_address(config["root"]),
            params=Params.from_cell(Cell.one_from_boc(bytes.fromhex(config["params"]))),
        )

    def close_retired(self) -> None:
        """Go on closing every retired contract (in the node's nursery)."""
        for inst in self.retired.values():
            self.spawn(close_instance, self, inst)

    async def redeploy(self, params: Params) -> None:
        """The root's params changed (spec 30 section 10.5): stop serving, let running
        requests settle, retire the current contract with every client and worker record (one
        transaction), then deploy the contract for the new params and serve again once this
        run's first commit on it is seen. Clients and workers reconnect, deriving the new
        addresses themselves."""
        old = self.contract
        assert old is not None
        new = ProxyContract(
            owner=self.owner, public_key=old.public_key, root=old.root, params=params
        )
        log.info(
            "root params version %d -> %d: moving from proxy contract %s to %s",
            old.params.params_version, params.params_version,
            old.address.to_str(), new.address.to_str(),
        )  # fmt: skip
        if self.initialized.is_set():  # refuse new work (a start still waits on unset ones)
            self.initialized, self.settled = trio.Event(), trio.Event()
        self.moving = True
        for conn in list(self.connections):
            conn.close("the proxy moves to a new contract (root params changed)")
        with trio.move_on_after(REDEPLOY_DRAIN_TIMEOUT):
            while self.requests:  # noqa: ASYNC110 - they end in many places; a short poll
                await trio.sleep(0.05)
        async with self._flush_lock:
            inst = retire(
                old,
                [acc.record() for acc in self.clients.values()],
                [acc.record() for acc in self.workers.values()],
            )
            records: dict[str, Any] = {client_key(k): None for k in self.clients}
            records.update({worker_key(k): None for k in self.workers})
            records[inst.key] = inst.record()
            self.clients, self.workers = {}, {}
            self._auth_waiters.clear()
            self._registered_nonces.clear()
            self._failed_registers.clear()
            self.contract = new
            self.moving = False
            self.pending, self.sc_last_lt = {}, 0
            self.sc_balance = self.sc_state = 0
            records[CONFIG_KEY] = self._config_record()
            await trio.to_thread.run_sync(self.store.write, records)
        self.retired[inst.key] = inst
        self._watch_scope.cancel()  # the chain watcher moves to the new contract
        self.spawn(close_instance, self, inst)
        delay = RETRY_DELAY[0]
        while True:  # the records are retired already: only the new contract can serve now
            try:
                await self.deploy()
                break
            except (LedgerError, PaymentError) as e:
                log.warning("cannot deploy the proxy contract %s: %s", new.address.to_str(), e)
                await trio.sleep(delay)
                delay = min(delay * 2, RETRY_DELAY[1])
        await self.flush()  # anchors this run on the new contract: then it serves again

    async def deploy(self) -> None:
        state = await self.ledger.get_account(self.sc_address)
        if not state.active:
            log.info("deploying the proxy contract %s", self.sc_address.to_str())
            await self.wallet.send(flows.deploy(self.contract))

    async def watch_chain(self) -> None:
        """Process the proxy contract's transactions as they come (oldest first); after a
        redeploy, the new contract's."""
        while True:
            with trio.CancelScope() as self._watch_scope:
                await self._watch_contract(self.contract)

    async def _watch_contract(self, contract: ProxyContract | None) -> None:
        assert contract is not None
        address = contract.address
        while True:
            try:
                state = await self.ledger.wait_for_change(address, self.sc_last_lt)
                for tx in await self.ledger.get_transactions(address, after_lt=self.sc_last_lt):
                    if self.contract is not contract:
                        return  # redeployed meanwhile
                    self.on_transaction(tx)
                    self.sc_last_lt = max(self.sc_last_lt, tx.lt)
                if state.data is not None and self.contract is contract:
                    storage = await read_contract(self.ledger, address, "proxy")
                    self.sc_balance, self.sc_state = storage.balance, storage.state
                    if storage.state != 0 and self.failure is None:
                        self.fail("the proxy contract is closing or closed")
            except LedgerError as e:
                log.warning("cannot read the proxy contract: %s", e)
                await trio.sleep(self.config.chain_poll_interval)

    def on_transaction(self, tx: Transaction) -> None:
        msg = tx.in_msg
        if msg is None or msg.src is None or msg.body is None or msg.bounced:
            return
        try:
            body = parse_body(msg.body, "proxy")
        except (CellDecodeError, ValueError):
            return
        # On TON the 1-nano state commits and the notifications of client and worker contracts
        # buy no gas: their transactions are aborted with the compute phase skipped, and the
        # inbound message is the log the reference reads. Only a message the contract did run
        # and refuse (e.g. 1008) is a failure.
        if not tx.success and not tx.bought_no_gas:
            if isinstance(body, ClientProxyRequest):
                self._on_failed_client_notification(msg.src, body, tx.exit_code)
            return
        if isinstance(body, ProxySaveState) and msg.src == self.wallet.address:
            self._on_commit(body.seqno, body.session_hash)
        elif isinstance(body, ClientProxyRequest):
            self._on_client_notification(msg.src, body)
        elif isinstance(body, WorkerProxyRequest):
            self._on_worker_notification(msg.src, body)

    def _on_commit(self, seqno: int, session_hash: bytes) -> None:
        expected = self.pending.get(seqno)
        if expected is None or expected != session_hash.hex():
            self.fail(
                f"the chain shows state commit {seqno} that this database did not write "
                "(restored or copied database, or two proxies on one database)"
            )
            return
        for s in [s for s in self.pending if s <= seqno]:
            del self.pending[s]
        if session_hash != self.session_hash:
            return  # a commit of an earlier run of ours: nothing new is anchored
        for acc in self.clients.values():
            acc.tokens.committed_to_blockchain(seqno)
        for wacc in self.workers.values():
            wacc.tokens.committed_to_blockchain(seqno)
        if not self.initialized.is_set() and not self.moving:
            log.info(
                "proxy %s initialized (state commit %d on chain)", self.sc_address.to_str(), seqno
            )
            self.initialized.set()
            self.settled.set()

    def _on_client_notification(self, src: Address, body: ClientProxyRequest) -> None:
        assert self.contract is not None
        if self.contract.client(body.client_owner).address != src:
            log.warning(
                "ignoring a client notification from %s: not the client's contract", src.to_str()
            )
            return
        acc = self.client(body.client_owner)
        s = body.state
        try:
            if acc.on_chain_state(s.state, s.balance, s.stake, s.tokens_used, s.secret_hash):
                self.mark_dirty(acc)
                acc.charging = acc.charging and acc.tokens.sc_tokens < acc.tokens.exp_sc_tokens
        except CounterOrderError as e:
            self.fail(str(e))
            return
        if isinstance(body.payload, ClientProxyRegister):
            nonce = body.payload.nonce
            self._registered_nonces[nonce] = acc.owner
            waiter = self._auth_waiters.get(nonce)
            if waiter is not None and waiter[0] == acc.owner:
                waiter[1].set()

    def _on_failed_client_notification(
        self, src: Address, body: ClientProxyRequest, exit_code: int
    ) -> None:
        """A register that failed here (e.g. 1008, params of another struct version) never
        arrives: the client waiting for it is refused at once, not after the timeout."""
        assert self.contract is not None
        if not isinstance(body.payload, ClientProxyRegister):
            return
        if self.contract.client(body.client_owner).address != src:
            return
        owner = owner_key(body.client_owner, self.config.is_testnet)
        log.warning("a register notification of client %s failed (exit %d)", owner, exit_code)
        nonce = body.payload.nonce
        self._failed_registers[nonce] = (owner, exit_code)
        waiter = self._auth_waiters.get(nonce)
        if waiter is not None and waiter[0] == owner:
            waiter[1].set()

    def _on_worker_notification(self, src: Address, body: WorkerProxyRequest) -> None:
        assert self.contract is not None
        if self.contract.worker(body.worker_owner).address != src:
            log.warning(
                "ignoring a worker notification from %s: not the worker's contract", src.to_str()
            )
            return
        acc = self.worker(body.worker_owner)
        try:
            acc.tokens.observe_chain(body.tokens)
        except CounterOrderError as e:
            self.fail(str(e))
            return
        acc.paying = False
        self.mark_dirty(acc)

    async def wait_registered(self, owner: str, nonce: int) -> None:
        """Long authorization: until the client's contract forwarded `register(nonce)` (at
        once in fake-TON mode, where no client contract can be seen: the reference's way).
        Raises `RegisterFailed` once that notification failed on our contract."""
        if self.ledger.fake_ton:
            return
        if self._registered_nonces.get(nonce) != owner:
            event = trio.Event()
            self._auth_waiters[nonce] = (owner, event)
            try:
                if self._failed_registers.get(nonce, ("",))[0] != owner:
                    await event.wait()
            finally:
                self._auth_waiters.pop(nonce, None)
        if self._registered_nonces.get(nonce) == owner:
            return
        failed = self._failed_registers.pop(nonce, None)
        assert failed is not None and failed[0] == owner
        raise RegisterFailed(failed[1])

    # ------------------------------------------------------------------ settlements

    async def payments_loop(self) -> None:
        if self.ledger.fake_ton:
            return  # the reference's fake-TON mode charges and pays out nothing
        while True:
            await trio.sleep(self.config.payments_interval)
            if self.failure is not None or not self.initialized.is_set():
                continue
            root = self.root.require()
            for acc in list(self.clients.values()):
                if acc.charging or not acc.known_on_chain:
                    continue
                if acc.sc_state == 1 and acc.running == 0 and not acc.refunding:
                    if acc.tokens.tokens_max == acc.tokens.tokens_committed_to_blockchain:
                        acc.refunding = True
                        self._nursery.start_soon(self._grant_refund, acc)
                elif (
                    acc.sc_state == 0
                    and acc.tokens.unsettled * root.price_per_token >= self.config.min_client_charge
                ):
                    acc.charging = True
                    self._nursery.start_soon(self._charge, acc)
            for wacc in list(self.workers.values()):
                if (
                    not wacc.paying
                    and wacc.tokens.unsettled * root.worker_fee_per_token
                    >= self.config.min_worker_payout
                ):
                    wacc.paying = True
                    self._nursery.start_soon(self._payout, wacc)
            if (
                self.sc_balance >= self.config.min_withdraw
                and not self.withdrawing
                and self.sc_state == 0
            ):
                self.withdrawing = True
                self._nursery.start_soon(self._withdraw)

    async def _charge(self, acc: ClientAccount) -> None:
        payment = self.client_payment(acc)
        acc.tokens.expect_settled(payment.tokens or 0)
        try:
            await self.wallet.send(flows.client_charge(payment, self.wallet.address))
            log.info("charged client %s up to %d tokens", acc.owner, payment.tokens)
        except (LedgerError, PaymentError) as e:
            log.warning("charge of client %s failed: %s", acc.owner, e)
        finally:
            await self._settle_check(acc)
            acc.charging = False

    async def _settle_check(self, acc: ClientAccount) -> None:
        """What the client contract really holds now (a failed charge is retried later)."""
        try:
            storage = await read_contract(self.ledger, acc.sc_address, "client")
        except LedgerError:
            return
        acc.tokens.exp_sc_tokens = storage.tokens_used  # a rejected charge must not block the next
        if acc.on_chain_state(
            storage.state, storage.balance, storage.stake, storage.tokens_used, storage.secret_hash
        ):
            self.mark_dirty(acc)

    async def _grant_refund(self, acc: ClientAccount) -> None:
        payment = self.signer.client_grant_refund(
            acc.sc_address, acc.tokens.tokens_committed_to_blockchain, self.wallet.address
        )
        try:
            await self.wallet.send(flows.submit_payment(payment))
            log.info("granted the refund of closing client %s", acc.owner)
        except (LedgerError, PaymentError) as e:
            log.warning("refund for client %s failed: %s", acc.owner, e)
            acc.refunding = False

    async def _payout(self, acc: WorkerAccount) -> None:
        payment = self.worker_payment(acc)
        transfer = flows.worker_payout(payment, self.wallet.address, by_worker=False)
        try:
            state = await self.ledger.get_account(acc.sc_address)
            if not state.active:  # the first payout deploys the worker's contract too
                assert self.contract is not None
                transfer = attrs.evolve(
                    transfer, state_init=self.contract.worker(acc.owner_address).state_init()
                )
            acc.tokens.expect_settled(payment.tokens or 0)
            await self.wallet.send(transfer)
            log.info("paid worker %s up to %d tokens", acc.owner, payment.tokens)
        except (LedgerError, PaymentError) as e:
            log.warning("payout to worker %s failed: %s", acc.owner, e)
        finally:
            try:
                storage = await read_contract(self.ledger, acc.sc_address, "worker")
                acc.tokens.exp_sc_tokens = storage.tokens
                acc.tokens.observe_chain(storage.tokens)
            except (LedgerError, CounterOrderError):
                pass
            acc.paying = False

    async def _withdraw(self) -> None:
        try:
            await self.wallet.send(flows.proxy_withdraw(self.sc_address, self.wallet.address))
        except (LedgerError, PaymentError) as e:
            log.warning("withdrawal failed: %s", e)
        finally:
            self.withdrawing = False

    def start(self, nursery: trio.Nursery) -> None:
        """Tasks the node starts (commits, settlements, requests) live in `nursery`."""
        self._nursery = nursery

    def spawn(self, fn: Callable[..., Awaitable[object]], *args: object) -> None:
        self._nursery.start_soon(fn, *args)
