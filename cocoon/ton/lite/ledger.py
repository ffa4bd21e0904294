"""`LiteLedger`: the `Ledger` interface over TON liteservers, trusting no server's word.

Trust (stage 1 of issue 15): a masterchain head is used only when
  - at least `min_agreement` (default 2) liteservers name the same block at its seqno (a
    server that is ahead is asked for that seqno with `lookupBlock`); when two servers name
    different blocks at one seqno the head is refused and the disagreement logged as an error;
  - and, where the options give a `trusted_block`, the head links back to it header by header
    (each header's Merkle proof checked against its id, each `prev` ref against the block
    before). With a trusted block, one server may do (`min_agreement=1`).
Without validator signatures a set of colluding servers can still make up blocks; stage 1
refuses a single liar among honest servers, and a head that does not descend from the trusted
block.

Trust stage 2 (`LiteLedgerOptions(trust="key_blocks", init_block=...)`, `cocoon.ton.lite.trust`):
a head is taken only when a chain of validator signatures leads to it from the global config's
`init_block` or from the last key block proven so (cached on disk): each server's head is
proven with `getBlockProof`, one server is enough, and a server whose proof does not check is
logged and the next one asked.

Everything read for money is proven against the trusted head: an account state by the
masterchain -> shard block -> account Merkle proofs, transactions by the hash chain from the
proven `last_trans_hash`. The view is monotonic: the head never goes back to an older block,
and an account's last lt never goes back.

The head is refreshed on demand only (no timer): a read whose head was checked more than
`max_head_age` ago asks first, and a watcher (`wait_for_change`) asks when a server has a newer
block, no sooner than `max_head_age` after the last check. In stage 2 a refresh asks a server
its head (`getMasterchainInfo`) and proves only a newer one (`getBlockProof` for that block: one
forward link from the last key block while the validators stay, checked against their cached
set); a watcher at idle reads its account in each new block (proven against that block) and
proves a head only once the account moved (or after `max_quiet_age`), so an idle role does not
pull a block proof (some 40 kB on mainnet) per block.

An explicitly unverified mode (`LiteLedgerOptions(unverified=True)`) takes one server's head
for tools that only look; it is never for settling payments (roles must not use it).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

import attrs
import trio
from pytoniq_core import Address, Cell

from cocoon.ton.cells import cell_hash
from cocoon.ton.codes import (
    COCOON_WALLET_CODE,
    COCOON_WALLET_CODE_HASH,
    LOCAL_CODES,
    REFERENCE_FAKE_CODES,
)
from cocoon.ton.embedded.contracts import PORTS
from cocoon.ton.errors import AccountNotFoundError, ExternalRejectedError
from cocoon.ton.ledger import AccountState, Ledger, Transaction
from cocoon.ton.lite.blocks import FULL_SHARD, MASTERCHAIN, BlockId
from cocoon.ton.lite.config import GlobalConfig, parse_global_config
from cocoon.ton.lite.errors import (
    LiteConfigError,
    LiteError,
    LiteProofError,
    LiteServerError,
    LiteUnavailableError,
)
from cocoon.ton.lite.proofs import (
    BlockHeader,
    check_account_state,
    check_block_header,
    check_block_link,
    check_transaction_chain,
)
from cocoon.ton.lite.trust import KeyBlockTrust

log = logging.getLogger(__name__)

MAX_TRANSACTIONS_PER_CALL = 16  # TON's liteservers answer at most this many per call

T = TypeVar("T")


class LiteHeadDisagreementError(LiteProofError):
    """Liteservers name different blocks at one masterchain seqno (or a server names a block
    other than the one this ledger already trusts there): no head is taken from them."""


class LiteQuery(Protocol):
    """One liteserver, as the ledger uses it: `LiteClient` (or anything with its `query`)."""

    name: str

    async def query(
        self,
        function: str,
        fields: dict[str, Any] | None = None,
        *,
        wait_seqno: tuple[int, int] | None = None,
    ) -> dict[str, Any]: ...


TRUST_AGREEMENT = "agreement"  # stage 1: servers agreeing (and a trusted block, if given)
TRUST_KEY_BLOCKS = "key_blocks"  # stage 2: validator signatures from the init block
TRUST_MODES = (TRUST_AGREEMENT, TRUST_KEY_BLOCKS)


@attrs.frozen
class LiteLedgerOptions:
    """How a `LiteLedger` trusts and how often it asks. Times in seconds."""

    trust: str = TRUST_AGREEMENT  # one of TRUST_MODES (`unverified` overrides both)
    init_block: BlockId | None = None  # stage 2's anchor: the global config's init_block
    key_block_cache: str | None = None  # stage 2: a file keeping the last proven key block
    trusted_block: BlockId | None = None  # a masterchain block every head must descend from
    min_agreement: int = 2  # liteservers that must name the same head block
    unverified: bool = False  # one server's head, unchecked: tools only, never payments
    # Staleness: a read uses the trusted head while it was checked less than this long ago;
    # an older one is refreshed first (only then, on demand: no timer asks). Also the least
    # time between two refreshes that `wait_for_change` asks for, so however many watchers
    # wait and however fast blocks come, heads are proven at most once per `max_head_age`.
    # About one TON masterchain block by default (a local fake network asks every second).
    max_head_age: float = 5.0
    # Stage 2: how long a watcher goes on a server's word that its account did not change
    # (read in a block not yet proven) before proving a newer head all the same.
    max_quiet_age: float = 60.0
    wait_timeout_ms: int = 10_000  # how long a server holds waitMasterchainSeqno
    lag_wait_ms: int = 3_000  # reads wait this long for a server a block or two behind
    max_link_walk: int = 100_000  # headers walked back to the trusted block, at most
    code_kinds: Mapping[bytes, str] = attrs.field(factory=dict)  # more code hashes -> port kinds
    # The network's zero state (root hash, from the global config): a server of another
    # network (testnet for mainnet) is not asked for heads.
    zero_state_hash: bytes | None = None
    # The code the network's nodes make their CocoonWallets with (a wallet's address derives
    # from it): the reference's (mainnet's) by default; a local chain names its own.
    wallet_code: Cell | None = attrs.field(default=None, eq=False)


@attrs.frozen
class _Head:
    id: BlockId
    gen_utime: int


def _default_code_kinds() -> dict[bytes, str]:
    kinds = {COCOON_WALLET_CODE_HASH: "wallet"}
    for codes in (LOCAL_CODES, REFERENCE_FAKE_CODES):
        kinds.update(codes.kinds())
    return kinds


def _account_id(address: Address) -> dict[str, Any]:
    return {"workchain": address.wc, "id": address.hash_part}


def _key(address: Address) -> tuple[int, bytes]:
    return address.wc, address.hash_part


class LiteLedger(Ledger):
    """A `Ledger` over liteservers (see the module docstring for what it trusts)."""

    def __init__(
        self, servers: Sequence[LiteQuery], options: LiteLedgerOptions | None = None
    ) -> None:
        options = options or LiteLedgerOptions()
        if not servers:
            raise ValueError("a LiteLedger needs at least one liteserver")
        if options.trust not in TRUST_MODES:
            raise ValueError(f"unknown trust mode {options.trust!r}; one of {TRUST_MODES}")
        self._key_blocks: KeyBlockTrust | None = None
        if options.unverified:
            pass
        elif options.trust == TRUST_KEY_BLOCKS:
            if options.init_block is None:
                raise ValueError("trust by key blocks needs the global config's init_block")
            self._key_blocks = KeyBlockTrust(options.init_block, cache_path=options.key_block_cache)
        else:
            if options.trusted_block is None and options.min_agreement < 2:
                raise ValueError(
                    "trust stage 1 needs a trusted block or at least two liteservers agreeing"
                )
            if len(servers) < options.min_agreement:
                raise ValueError(
                    f"{options.min_agreement} liteservers must agree, {len(servers)} given"
                )
        if options.unverified:
            log.warning("LiteLedger in unverified mode: heads are taken on one server's word")
        self.servers = list(servers)
        self.options = options
        self.code_kinds = {**_default_code_kinds(), **options.code_kinds}
        if options.wallet_code is not None:
            self.code_kinds[cell_hash(options.wallet_code)] = "wallet"
        self.queries: Counter[str] = Counter()  # by lite_api function, as sent
        self._head: _Head | None = None
        self._checked_at = -float("inf")
        self._refresh_lock = trio.Lock()
        self._wait_lock = trio.Lock()
        self._next = 0
        self._accounts: dict[tuple[int, bytes], tuple[int, AccountState]] = {}
        # (account, lt) -> (transaction, its prev_trans_hash): proven once, kept.
        self._txs: dict[tuple[tuple[int, bytes], int], tuple[Transaction, bytes]] = {}

    @property
    def verified(self) -> bool:
        """Whether heads are checked (False only in the tools' unverified mode)."""
        return not self.options.unverified

    @property
    def head(self) -> BlockId | None:
        """The trusted masterchain head (None before the first read)."""
        return None if self._head is None else self._head.id

    # --- queries -----------------------------------------------------------------------------

    async def _query(
        self,
        server: LiteQuery,
        function: str,
        fields: dict[str, Any] | None = None,
        *,
        wait_seqno: tuple[int, int] | None = None,
    ) -> dict[str, Any]:
        self.queries[function] += 1
        return await server.query(function, fields, wait_seqno=wait_seqno)

    def _rotation(self) -> list[LiteQuery]:
        start = self._next % len(self.servers)
        self._next += 1
        return self.servers[start:] + self.servers[:start]

    async def _from_any(self, what: str, read: Callable[[LiteQuery], Awaitable[T]]) -> T:
        """`read` from one server after another until one answers with a valid proof."""
        last: LiteError | None = None
        for server in self._rotation():
            try:
                return await read(server)
            except LiteProofError as e:
                log.error("liteserver %s served %s that does not check: %s", server.name, what, e)
                last = e
            except LiteError as e:
                log.warning("liteserver %s could not serve %s: %s", server.name, what, e)
                last = e
        assert last is not None
        raise last

    # --- the trusted head --------------------------------------------------------------------

    def _stale(self) -> bool:
        return (
            self._head is None
            or trio.current_time() - self._checked_at >= self.options.max_head_age
        )

    async def _trusted_head(self) -> _Head:
        if self._stale():
            async with self._refresh_lock:
                if self._stale():
                    await self._refresh()
        assert self._head is not None
        return self._head

    async def refresh_head(self) -> BlockId:
        """Ask the servers for their head now, and take it if it checks; the trusted head."""
        async with self._refresh_lock:
            await self._refresh()
        assert self._head is not None
        return self._head.id

    def _heads_needed(self) -> int:
        """Servers that must reach a seqno before it is asked for (one proves it in stage 2)."""
        if self.options.unverified or self._key_blocks is not None:
            return 1
        return self.options.min_agreement

    async def _refresh(self, named: Sequence[tuple[LiteQuery, BlockId]] = ()) -> None:
        """Take a newer trusted head if the servers have one. `named`: servers that just
        named their head (a wait for a block), asked first in stage 2."""
        try:
            if self._key_blocks is not None:
                head = await self._signed_head(self._key_blocks, named)
            else:
                head = await self._agreed_head()
        except LiteError:
            if self._head is None:
                raise
            # Keep reading at the last trusted head (it is proven, only older); ask again later.
            self._checked_at = trio.current_time()
            log.warning("no newer trusted head; still at block %d", self._head.id.seqno)
            return
        self._checked_at = trio.current_time()
        if head is not None:
            self._head = head

    async def _signed_head(
        self, trust: KeyBlockTrust, named: Sequence[tuple[LiteQuery, BlockId]] = ()
    ) -> _Head | None:
        """A server's head proven by validator signatures; None to keep the current head.

        A server is first asked which block is its head (`getMasterchainInfo`, a few hundred
        bytes); only a newer one is proven (`getBlockProof` for that block: the validators'
        signatures, some 40 kB on mainnet), so a refresh with nothing new costs no proof."""
        current = self._head
        last: LiteError | None = None
        named_servers = {id(server) for server, _ in named}
        candidates = [*named, *((s, None) for s in self._rotation() if id(s) not in named_servers)]
        for server, block_named in candidates:
            try:
                if block_named is None:
                    info = await self._query(server, "liteServer.getMasterchainInfo")
                    block_named = BlockId.from_tl(info["last"])
                if block_named.workchain != MASTERCHAIN:
                    raise LiteProofError("a head outside the masterchain")
                if current is not None and block_named.seqno <= current.id.seqno:
                    continue  # nothing newer there
                proven = await trust.prove_head(server, self._query, target=block_named)
                break
            except LiteProofError as e:
                log.error(
                    "liteserver %s served a head proof that does not check: %s", server.name, e
                )
                last = e
            except LiteError as e:
                log.warning("liteserver %s could not prove its head: %s", server.name, e)
                last = e
        else:
            if last is None:
                return None  # no server has a newer head
            raise last
        block = proven.to
        if current is not None and block.seqno <= current.id.seqno:
            if block.seqno == current.id.seqno and block != current.id:
                log.error(
                    "SIGNED BLOCKS DISAGREE at masterchain block %d (%s, trusted %s)",
                    block.seqno,
                    block.root_hash.hex(),
                    current.id.root_hash.hex(),
                )
                raise LiteHeadDisagreementError(f"another signed block {block.seqno}")
            return None  # not newer: keep the trusted head (monotonic)
        header = proven.to_header
        if header is None:  # the head is the trusted key block itself
            header = await self._header(block, [server, *self.servers])
        gen_utime = (
            header.gen_utime if current is None else max(header.gen_utime, current.gen_utime)
        )
        return _Head(block, gen_utime)

    async def _agreed_head(self) -> _Head | None:
        """The newest block enough servers agree on, checked; None to keep the current head."""
        needed = 1 if self.options.unverified else self.options.min_agreement
        heads: dict[int, BlockId] = {}

        async def ask(i: int, server: LiteQuery) -> None:
            try:
                info = await self._query(server, "liteServer.getMasterchainInfoExt", {"mode": 0})
                if (
                    self.options.zero_state_hash is not None
                    and info["init"]["root_hash"] != self.options.zero_state_hash
                ):
                    log.error("liteserver %s serves another network's chain", server.name)
                    return
                heads[i] = BlockId.from_tl(info["last"])
            except LiteError as e:
                log.warning("liteserver %s gave no head: %s", server.name, e)

        async with trio.open_nursery() as nursery:
            for i, server in enumerate(self.servers):
                nursery.start_soon(ask, i, server)
        if len(heads) < needed:
            raise LiteUnavailableError(f"{len(heads)} liteservers answered, {needed} needed")
        if any(h.workchain != MASTERCHAIN for h in heads.values()):
            raise LiteProofError("a liteserver named a head outside the masterchain")
        target = sorted((h.seqno for h in heads.values()), reverse=True)[needed - 1]
        current = self._head
        if current is not None and target < current.id.seqno:
            return None  # the servers are behind what we trust: keep it (monotonic)

        # Every server at or past the target names its block at that seqno.
        named: dict[int, tuple[BlockId, BlockHeader | None]] = {}

        async def at_target(i: int) -> None:
            server, head = self.servers[i], heads[i]
            if head.seqno == target:
                named[i] = (head, None)
                return
            try:
                answer = await self._query(
                    server,
                    "liteServer.lookupBlock",
                    {
                        "mode": 1,
                        "id": {"workchain": MASTERCHAIN, "shard": -(2**63), "seqno": target},
                    },
                )
                block = BlockId.from_tl(answer["id"])
                named[i] = (block, check_block_header(answer["header_proof"], block))
            except LiteError as e:
                log.warning("liteserver %s: no block %d: %s", server.name, target, e)

        async with trio.open_nursery() as nursery:
            for i, head in heads.items():
                if head.seqno >= target:
                    nursery.start_soon(at_target, i)
        blocks = {block for block, _ in named.values()}
        if len(blocks) > 1:
            detail = ", ".join(
                f"{self.servers[i].name}: {block.root_hash.hex()}"
                for i, (block, _) in named.items()
            )
            log.error(
                "LITESERVERS DISAGREE on masterchain block %d (%s); no head taken from them",
                target,
                detail,
            )
            raise LiteHeadDisagreementError(f"liteservers disagree on masterchain block {target}")
        if len(named) < needed:
            raise LiteUnavailableError(f"{len(named)} liteservers named block {target}")
        (block,) = blocks
        if current is not None and block.seqno == current.id.seqno:
            if block != current.id:
                log.error(
                    "LITESERVERS NAME ANOTHER BLOCK %d than the one trusted (%s, not %s)",
                    block.seqno,
                    block.root_hash.hex(),
                    current.id.root_hash.hex(),
                )
                raise LiteHeadDisagreementError(f"another block {block.seqno} than the trusted one")
            return None
        header = next((h for b, h in named.values() if h is not None), None)
        if header is None:
            header = await self._header(block, [self.servers[i] for i in named])
        anchor = current.id if current is not None else self.options.trusted_block
        if anchor is not None and self.options.trusted_block is not None:
            await self._check_descends(header, anchor, [self.servers[i] for i in named])
        gen_utime = (
            header.gen_utime if current is None else max(header.gen_utime, current.gen_utime)
        )
        return _Head(block, gen_utime)

    async def _header(self, block: BlockId, servers: Sequence[LiteQuery]) -> BlockHeader:
        last: LiteError | None = None
        for server in servers:
            try:
                answer = await self._query(
                    server, "liteServer.getBlockHeader", {"id": block.to_tl(), "mode": 0}
                )
                return check_block_header(answer["header_proof"], block)
            except LiteError as e:
                last = e
                log.warning("liteserver %s: no header of block %d: %s", server.name, block.seqno, e)
        assert last is not None
        raise last

    async def _check_descends(
        self, header: BlockHeader, anchor: BlockId, servers: Sequence[LiteQuery]
    ) -> None:
        """Walk back from `header` to `anchor` through checked headers and prev refs."""
        if header.id.seqno < anchor.seqno:
            raise LiteUnavailableError(
                f"the liteservers' head {header.id.seqno} is older than the trusted block"
            )
        if header.id.seqno - anchor.seqno > self.options.max_link_walk:
            raise LiteProofError("the head is too far past the trusted block to walk back")
        while header.id.seqno > anchor.seqno + 1:
            p = header.prev
            prev = BlockId(MASTERCHAIN, FULL_SHARD, p.seqno, p.root_hash, p.file_hash)
            if p.seqno != header.id.seqno - 1:
                raise LiteProofError(f"block {header.id.seqno} names {p.seqno} as its previous")
            header = await self._header(prev, servers)
        if header.id.seqno == anchor.seqno:
            if header.id != anchor:
                raise LiteHeadDisagreementError("the head is not the trusted block")
            return
        check_block_link(header, anchor)

    # --- Ledger ------------------------------------------------------------------------------

    async def _proven_account(self, address: Address) -> tuple[_Head, AccountState]:
        head = await self._trusted_head()
        k = _key(address)
        cached = self._accounts.get(k)
        if cached is not None and cached[0] == head.id.seqno:
            return head, cached[1]

        async def read(server: LiteQuery) -> AccountState:
            answer = await self._query(
                server,
                "liteServer.getAccountState",
                {"id": head.id.to_tl(), "account": _account_id(address)},
                wait_seqno=(head.id.seqno, self.options.lag_wait_ms),
            )
            if BlockId.from_tl(answer["id"]) != head.id:
                raise LiteProofError("the account state is of another masterchain block")
            proven = check_account_state(
                head.id,
                BlockId.from_tl(answer["shardblk"]),
                answer["shard_proof"],
                answer["proof"],
                answer["state"],
                address,
            )
            return proven.state

        state = await self._from_any(f"the account {address.to_str(False)}", read)
        cached = self._accounts.get(k)
        if cached is not None and state.last_tx_lt < cached[1].last_tx_lt:
            raise LiteProofError(
                f"{address.to_str(False)} went back from lt {cached[1].last_tx_lt} to"
                f" {state.last_tx_lt}"
            )
        if cached is None or cached[0] <= head.id.seqno:
            self._accounts[k] = (head.id.seqno, state)
        return head, state

    async def get_account(self, address: Address) -> AccountState:
        """The account's state proven at the trusted head."""
        return (await self._proven_account(address))[1]

    async def get_transactions(
        self, address: Address, *, after_lt: int = 0, limit: int | None = None
    ) -> list[Transaction]:
        """Transactions after `after_lt` as of the trusted head, oldest first: walked back
        from the proven last transaction, 16 a query, each page checked as a hash chain.
        Transactions proven once are kept, so a walk stops asking where an earlier one ended.
        (They carry no `balance_after`: a transaction cell does not hold the balance.)"""
        _, state = await self._proven_account(address)
        k = _key(address)
        lt, tx_hash = state.last_tx_lt, state.last_tx_hash
        newest_first: list[Transaction] = []
        while lt > after_lt:
            cached = self._txs.get((k, lt))
            if cached is not None and cached[0].hash == tx_hash:
                tx, prev_hash = cached
                newest_first.append(tx)
                lt, tx_hash = tx.prev_lt, prev_hash
                continue
            page = await self._transaction_page(address, lt, tx_hash)
            for tx, prev_hash in page:
                self._txs[(k, tx.lt)] = (tx, prev_hash)
            for tx, _ in page:
                if tx.lt <= after_lt:
                    break
                newest_first.append(tx)
            last, last_prev = page[-1]
            lt, tx_hash = last.prev_lt, last_prev
        out = newest_first[::-1]
        return out if limit is None else out[:limit]

    async def _transaction_page(
        self, address: Address, lt: int, tx_hash: bytes
    ) -> list[tuple[Transaction, bytes]]:
        async def read(server: LiteQuery) -> list[tuple[Transaction, bytes]]:
            answer = await self._query(
                server,
                "liteServer.getTransactions",
                {
                    "count": MAX_TRANSACTIONS_PER_CALL,
                    "account": _account_id(address),
                    "lt": lt,
                    "hash": tx_hash,
                },
            )
            page = check_transaction_chain(
                answer["transactions"], address, lt, tx_hash, count=MAX_TRANSACTIONS_PER_CALL
            )
            if not page:
                raise LiteProofError(f"no transaction at lt {lt} in the answer")
            if len(answer["ids"]) != len(page):
                raise LiteProofError("a transaction list whose block ids do not match it")
            return page

        return await self._from_any(f"transactions of {address.to_str(False)}", read)

    async def send_external(self, boc: bytes) -> None:
        """`sendMessage` to every server (TON drops duplicates). Its status is no receipt: a
        wallet confirms by a proven transaction and resends (`cocoon.ton.wallet_client`).
        Raises `ExternalRejectedError` when every server refused it."""
        outcomes: list[LiteError | None] = []

        async def send(server: LiteQuery) -> None:
            try:
                await self._query(server, "liteServer.sendMessage", {"body": boc})
                outcomes.append(None)
            except LiteError as e:
                log.warning("liteserver %s did not take an external: %s", server.name, e)
                outcomes.append(e)

        async with trio.open_nursery() as nursery:
            for server in self.servers:
                nursery.start_soon(send, server)
        if any(o is None for o in outcomes):
            return
        refusals = [o for o in outcomes if isinstance(o, LiteServerError)]
        if refusals:
            raise ExternalRejectedError(0, refusals[0].message)
        raise outcomes[0] or LiteUnavailableError("no liteserver took the external")

    async def run_get_method(
        self, address: Address, method: str, stack: Sequence[Any] = ()
    ) -> list[Any]:
        """Run a get-method on the account's PROVEN code and data: the project's port of the
        contract (`cocoon.ton.embedded.contracts`, picked by the proven code's hash, as the
        embedded chain does), not TVM and not the liteserver's `runSmcMethod`, whose result
        would be one server's word. Accounts whose code has no port are refused."""
        state = await self.get_account(address)
        if not state.active or state.code is None or state.data is None:
            raise AccountNotFoundError(f"{address.to_str(False)} has no code to run")
        kind = self.code_kinds.get(cell_hash(state.code))
        if kind is None:
            raise AccountNotFoundError(
                f"{address.to_str(False)} runs code this ledger has no port of"
            )
        return PORTS[kind].get_method(method, state.data, tuple(stack))

    async def wait_for_change(self, address: Address, after_lt: int) -> AccountState:
        """The account's proven state once it has a transaction after `after_lt`: read at each
        new trusted head, the servers holding `waitMasterchainSeqno` in between. In stage 2 a
        head is proven only once the account may have changed (`_until_it_may_change`)."""
        while True:
            head, state = await self._proven_account(address)
            if state.last_tx_lt > after_lt:
                return state
            if self._key_blocks is None:
                await self._next_head(head.id.seqno)
            else:
                await self._until_it_may_change(address, state.last_tx_lt, head.id.seqno)

    async def _until_it_may_change(self, address: Address, lt: int, seqno: int) -> None:
        """Stage 2, a watcher at idle: until a newer head is trusted, proven here once the
        account may have changed. Each new block a server names, the account is read in it
        (its Merkle proofs checked against that block, which is not yet proven); while its
        last lt stays `lt`, no block proof is asked (one is some 40 kB on mainnet). That
        block's word is used only to skip a proof, never as the account's state: a server
        hiding a change delays it, by `max_quiet_age` at most, when a head is proven anyway."""
        while self._head is not None and self._head.id.seqno <= seqno:
            await trio.sleep_until(self._checked_at + self.options.max_head_age)
            if self._head is None or self._head.id.seqno > seqno:
                return  # another task took a newer head
            server = self._rotation()[0]
            named: list[tuple[LiteQuery, BlockId]] = []
            if trio.current_time() - self._checked_at < self.options.max_quiet_age:
                try:
                    info = await self._query(
                        server,
                        "liteServer.getMasterchainInfo",
                        wait_seqno=(seqno + 1, self.options.wait_timeout_ms),
                    )
                    block = BlockId.from_tl(info["last"])
                    if block.seqno <= seqno or block.workchain != MASTERCHAIN:
                        continue
                    if await self._last_lt_in(server, block, address) == lt:
                        seqno = block.seqno  # no change there: wait for the next block
                        continue
                    named = [(server, block)]
                except LiteError as e:
                    log.warning("liteserver %s: no newer block checked: %s", server.name, e)
            async with self._refresh_lock:
                if self._head is not None and self._head.id.seqno <= seqno:
                    await self._refresh(named)
            return

    async def _last_lt_in(self, server: LiteQuery, block: BlockId, address: Address) -> int:
        """The account's last lt in `block` as `server` proves it against that block's id."""
        answer = await self._query(
            server,
            "liteServer.getAccountState",
            {"id": block.to_tl(), "account": _account_id(address)},
        )
        if BlockId.from_tl(answer["id"]) != block:
            raise LiteProofError("the account state is of another masterchain block")
        proven = check_account_state(
            block,
            BlockId.from_tl(answer["shardblk"]),
            answer["shard_proof"],
            answer["proof"],
            answer["state"],
            address,
        )
        return proven.state.last_tx_lt

    async def _next_head(self, seqno: int) -> None:
        """Until the trusted head is past `seqno` (one waiter asks; the others share it). The
        servers hold the wait until they have a newer block; a head is proven no sooner than
        `max_head_age` after the last one, so idle watchers cost one proof per that time at
        most (and none while no block comes)."""
        async with self._wait_lock:
            if self._head is not None and self._head.id.seqno > seqno:
                return
            if self._head is not None:
                await trio.sleep_until(self._checked_at + self.options.max_head_age)
            if self._head is not None and self._head.id.seqno > seqno:
                return  # a read took a newer head meanwhile
            needed = self._heads_needed()
            named: list[tuple[LiteQuery, BlockId]] = []

            async def wait(server: LiteQuery, cancel: trio.CancelScope) -> None:
                try:
                    info = await self._query(
                        server,
                        "liteServer.getMasterchainInfo",
                        wait_seqno=(seqno + 1, self.options.wait_timeout_ms),
                    )
                    named.append((server, BlockId.from_tl(info["last"])))
                except (LiteError, KeyError, TypeError):
                    return
                if len(named) >= needed:
                    cancel.cancel()

            async with trio.open_nursery() as nursery:
                for server in self.servers:
                    nursery.start_soon(wait, server, nursery.cancel_scope)
            async with self._refresh_lock:
                if self._head is None or self._head.id.seqno <= seqno:
                    await self._refresh(named)
            if self._head is None or self._head.id.seqno <= seqno:
                await trio.sleep(self.options.max_head_age)  # nothing newer yet: do not spin

    async def now(self) -> int:
        """The trusted head's generation time (its header proven)."""
        return (await self._trusted_head()).gen_utime

    async def wallet_code(self) -> Cell:
        """The code nodes make their CocoonWallets with (`LiteLedgerOptions.wallet_code`, the
        reference's by default): configuration, not something a liteserver is asked."""
        await trio.lowlevel.checkpoint()
        return self.options.wallet_code or COCOON_WALLET_CODE


@attrs.frozen
class LiteEndpoint:
    """A liteserver to connect to: as a global config's `liteservers` entry names it."""

    host: str
    port: int
    public_key: bytes
    name: str = ""


def endpoints_of(config: GlobalConfig) -> list[LiteEndpoint]:
    """The liteservers a TON global config lists."""
    return [LiteEndpoint(s.host, s.port, s.public_key, s.name) for s in config.liteservers]


def options_for(config: GlobalConfig, **options: Any) -> LiteLedgerOptions:
    """`LiteLedgerOptions` for the network a global config describes (its zero state, and
    its `init_block` as stage 2's anchor: the zero state itself when the config names none)."""
    init = config.validator.init_block or config.validator.zero_state
    options.setdefault("init_block", BlockId.from_tl(init.to_tl()))
    return LiteLedgerOptions(zero_state_hash=config.validator.zero_state.root_hash, **options)


@asynccontextmanager
async def open_lite_ledger(
    source: Sequence[LiteEndpoint] | GlobalConfig | str | Path,
    options: LiteLedgerOptions | None = None,
    *,
    client_options: Any = None,
) -> AsyncIterator[LiteLedger]:
    """A `LiteLedger` over a `LiteClient` per liteserver, the clients bound to this block.

    `source` is the liteservers, or a TON global config (parsed, or its file): then its
    liteservers, and by default options for its network (its zero state) with trust stage 1's
    agreement of two liteservers; `trust="key_blocks"` in the options (stage 2) starts from its
    `init_block` and needs one liteserver. (The `init_block` is no stage-1 trusted block:
    walking headers from it to today is what stage 2's key-block proofs are for.)
    """
    from cocoon.ton.lite.client import open_lite_client

    if isinstance(source, (str, Path)):
        try:
            text = await trio.Path(source).read_text()
        except OSError as e:
            raise LiteConfigError(f"cannot read the TON global config {source}: {e}") from e
        try:
            source = parse_global_config(json.loads(text))
        except json.JSONDecodeError as e:
            raise LiteConfigError(f"{source}: not JSON ({e})") from e
    if isinstance(source, GlobalConfig):
        options = options or options_for(source)
        endpoints = endpoints_of(source)
        one_is_enough = options.unverified or options.trust == TRUST_KEY_BLOCKS
        needed = 1 if one_is_enough else options.min_agreement
        if len(endpoints) < needed:
            raise LiteConfigError(
                f"the global config lists {len(endpoints)} liteserver(s); the agreement rule "
                f"needs {needed} (or name a trusted block and min_agreement=1)"
            )
    else:
        endpoints = list(source)
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                open_lite_client(
                    e.host,
                    e.port,
                    e.public_key,
                    options=client_options,
                    name=e.name or f"{e.host}:{e.port}",
                )
            )
            for e in endpoints
        ]
        yield LiteLedger(clients, options)
