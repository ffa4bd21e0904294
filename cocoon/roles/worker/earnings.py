"""What each proxy owes this worker, from the signed payouts it sent (spec 30 section 9).

Per proxy contract the worker keeps the highest valid signed payout (cumulative tokens the
proxy committed on-chain for it) and the proxy's `db_tokens` / `max_tokens`. A proxy that
reports less than it did before has lost data or is cheating: the connection is closed and
a fresh handshake compares balances again. The reference keeps this in memory only; here it
can also be saved to a file, so a restarted worker still holds its claims.

Saving: a new signed payout (money the worker can claim on-chain) is written at once; the
proxy's `db_tokens` / `max_tokens`, which move with every request, are written every
SAVE_INTERVAL (a restarted worker that compares lower figures is only less strict). Writes
happen in one task (`keep_saved`), off the event loop.
"""

from __future__ import annotations

import enum
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import attrs
import trio
from pytoniq_core import Address, Cell

from cocoon import tl
from cocoon.errors import CocoonError, PaymentError
from cocoon.ton.params import Params
from cocoon.ton.payments import PaymentKind, SignedPayment, parse_payment, verify_payment

log = logging.getLogger("cocoon.worker.earnings")
SAVE_INTERVAL = 5.0


class Advance(enum.IntEnum):
    """What a proxy message moved forward (false when nothing did)."""

    NOTHING = 0
    COUNTERS = 1  # db_tokens / max_tokens
    PAYMENT = 2  # a higher signed payout


class EarningsRegressed(PaymentError):
    """A proxy reported fewer tokens than it had already promised."""


@attrs.define
class ProxyEarnings:
    proxy_sc: str  # raw form "0:hex"
    worker_sc: Address
    proxy_public_key: bytes
    signed: SignedPayment | None = None
    signed_data: bytes = b""
    db_tokens: int = 0
    max_tokens: int = 0
    paid_out: int = 0  # tokens the worker contract has settled, as last seen
    # The root params the worker contract was made under (None: not known): what a worker
    # needs to deploy that contract itself once the root has moved on (spec 30 section 10.5).
    params: Params | None = None

    @property
    def proxy_address(self) -> Address:
        return Address(self.proxy_sc)

    @property
    def chain_tokens(self) -> int:
        return (self.signed.tokens or 0) if self.signed is not None else 0

    def accept(
        self,
        payment: tl.TLObject,
        db_tokens: int,
        max_tokens: int,
        *,
        required: bool = False,
        may_be_stale: bool = False,
    ) -> Advance:
        """Record what a proxy message says; returns what advanced.

        Raises `PaymentError` (and records nothing) for a bad or lower signed payment, lower
        counters, or, with `required` (the handshake), no signed payment at all.

        `may_be_stale`: the figures are an answer to our query, read after newer messages of
        the same proxy may have been handled. Lower figures are then old news, not a
        regression: they are ignored (a bad signature still raises)."""
        signed = None
        if isinstance(payment, tl.ProxySignedPayment):
            signed = verify_payment(
                payment.data,
                kind=PaymentKind.WORKER_PAYOUT,
                proxy_public_key=self.proxy_public_key,
                contract=self.worker_sc,
                known_tokens=0 if may_be_stale else self.chain_tokens,
            )
        elif required:
            raise PaymentError("the proxy sent no signed payment")
        if may_be_stale:
            db_tokens, max_tokens = max(db_tokens, self.db_tokens), max(max_tokens, self.max_tokens)
        if db_tokens < self.db_tokens:
            raise EarningsRegressed(f"db_tokens {db_tokens} < known {self.db_tokens}")
        if max_tokens < self.max_tokens:
            raise EarningsRegressed(f"max_tokens {max_tokens} < known {self.max_tokens}")
        advanced = Advance.NOTHING
        if db_tokens > self.db_tokens or max_tokens > self.max_tokens:
            advanced = Advance.COUNTERS
        self.db_tokens, self.max_tokens = db_tokens, max_tokens
        if signed is not None and (self.signed is None or (signed.tokens or 0) > self.chain_tokens):
            self.signed, self.signed_data = signed, payment.data
            advanced = Advance.PAYMENT
        return advanced


class Earnings:
    """All proxies' earnings, optionally persisted (atomic JSON file)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.by_proxy: dict[str, ProxyEarnings] = {}
        self._saved: dict[str, dict] = {}
        self.dirty = False
        self._urgent = trio.Event()
        if path is not None and path.exists():
            try:
                self._saved = json.loads(path.read_text())
            except (OSError, ValueError) as e:
                log.warning("ignoring unreadable earnings file %s: %s", path, e)
        # Every saved claim is back at once, not only when its proxy is seen again: a proxy
        # that never returns (or moved to a new contract) still owes what it signed.
        for key, saved in self._saved.items():
            entry = self._restored(key, saved)
            if entry is not None:
                self.by_proxy[key] = entry

    def _restored(
        self, key: str, saved: dict[str, Any], worker_sc: Address | None = None
    ) -> ProxyEarnings | None:
        """The saved entry (checked again); None if it names no worker contract or does not
        verify."""
        try:
            signed = bytes.fromhex(saved["signed"])
            if worker_sc is None:  # the signed payout names it
                if not signed:
                    return None
                worker_sc = parse_payment(signed).address
            params = saved.get("params")
            entry = ProxyEarnings(
                key,
                worker_sc,
                bytes.fromhex(saved["proxy_public_key"]),
                params=Params.from_cell(Cell.one_from_boc(bytes.fromhex(params)))
                if params
                else None,
            )
            entry.accept(
                tl.ProxySignedPayment(data=signed) if signed else tl.ProxySignedPaymentEmpty(),
                saved["db_tokens"],
                saved["max_tokens"],
            )
        except (PaymentError, CocoonError, KeyError, ValueError) as e:
            log.warning("ignoring saved earnings for %s: %s", key, e)
            return None
        return entry

    def for_proxy(
        self,
        proxy_sc: Address,
        worker_sc: Address,
        proxy_public_key: bytes,
        params: Params | None = None,
    ) -> ProxyEarnings:
        """The entry of this proxy contract (with what was saved for it), for a worker
        contract made under `params` when they are known."""
        key = proxy_sc.to_str(is_user_friendly=False)
        entry = self.by_proxy.get(key)
        if (
            entry is None
            or entry.proxy_public_key != proxy_public_key
            or entry.worker_sc != worker_sc
        ):
            saved = self._saved.get(key)
            entry = None
            if saved is not None and saved.get("proxy_public_key") == proxy_public_key.hex():
                entry = self._restored(key, saved, worker_sc)
            if entry is None:
                entry = ProxyEarnings(key, worker_sc, proxy_public_key)
            self.by_proxy[key] = entry
        if params is not None and entry.params is None:
            entry.params = params
            self.dirty = True
        return entry

    def note(self, advance: Advance) -> None:
        """Schedule a save for what advanced: at once for a payment, soon for counters."""
        if advance:
            self.dirty = True
        if advance is Advance.PAYMENT:
            self._urgent.set()

    async def keep_saved(self, interval: float = SAVE_INTERVAL) -> None:
        """Save what changed (see `note`) until cancelled, and once more then."""
        try:
            while True:
                with trio.move_on_after(interval):
                    await self._urgent.wait()
                self._urgent = trio.Event()
                if self.dirty:
                    await trio.to_thread.run_sync(self._write, self._snapshot())
        finally:
            if self.dirty:
                self._write(self._snapshot())

    def save(self) -> None:
        """Save now (blocking)."""
        self._write(self._snapshot())

    def _snapshot(self) -> dict[str, Any]:
        # Taken on the event loop, so a write in a thread never sees a half-made change.
        self.dirty = False
        self._saved.update(
            {
                key: {
                    "proxy_public_key": e.proxy_public_key.hex(),
                    "signed": e.signed_data.hex(),
                    "db_tokens": e.db_tokens,
                    "max_tokens": e.max_tokens,
                    "params": e.params.to_cell().to_boc().hex() if e.params else None,
                }
                for key, e in self.by_proxy.items()
            }
        )
        return dict(self._saved)

    def _write(self, data: dict[str, Any]) -> None:
        if self.path is None:
            return
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".earnings-")
        with os.fdopen(fd, "w") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
