"""Persistence of the embedded chain: one sqlite file with BOCs, so a restarted local network
keeps its money. Each batch of transactions is written in one sqlite transaction (atomic)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from pytoniq_core import Address

from cocoon.ton.cells import cell_hash, from_boc, to_boc
from cocoon.ton.codes import COCOON_WALLET_CODE
from cocoon.ton.embedded.chain import Account, Chain
from cocoon.ton.ledger import Transaction, transaction_from_json, transaction_to_json

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    wc INTEGER NOT NULL, hash BLOB NOT NULL, balance TEXT NOT NULL, kind TEXT,
    code BLOB, data BLOB, last_lt INTEGER NOT NULL, last_hash BLOB NOT NULL,
    PRIMARY KEY (wc, hash));
CREATE TABLE IF NOT EXISTS transactions (
    wc INTEGER NOT NULL, hash BLOB NOT NULL, lt INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (wc, hash, lt));
"""


class SqliteStore:
    """A chain in a sqlite file. `Chain(store=SqliteStore(path))` loads it, then saves every batch."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def load(self, chain: Chain) -> None:
        meta = dict(self._db.execute("SELECT name, value FROM meta"))
        chain.minted = int(meta.get("minted", "0"))
        chain.fees_collected = int(meta.get("fees_collected", "0"))
        chain.lt = int(meta.get("lt", "0"))
        for code_hash, kind in json.loads(meta.get("code_kinds", "{}")).items():
            chain.code_kinds[bytes.fromhex(code_hash)] = kind
        if "wallet_code" in meta:
            chain.wallet_code = from_boc(bytes.fromhex(meta["wallet_code"]))
        elif meta:
            # Saved before chains chose their wallet code: its nodes' wallets were made with
            # the reference's, and keep their addresses (and money) with it.
            chain.wallet_code = COCOON_WALLET_CODE
        chain.code_kinds[cell_hash(chain.wallet_code)] = "wallet"
        rows = self._db.execute(
            "SELECT wc, hash, balance, kind, code, data, last_lt, last_hash FROM accounts"
        )
        for wc, h, balance, kind, code, data, last_lt, last_hash in rows:
            address = Address((wc, bytes(h)))
            chain.accounts[(wc, bytes(h))] = Account(
                address=address,
                balance=int(balance),
                kind=kind,
                code=None if code is None else from_boc(code),
                data=None if data is None else from_boc(data),
                last_lt=last_lt,
                last_hash=bytes(last_hash),
            )
        for wc, h, lt, body in self._db.execute(
            "SELECT wc, hash, lt, body FROM transactions ORDER BY lt"
        ):
            acc = chain.accounts[(wc, bytes(h))]
            acc.transactions.append(transaction_from_json(acc.address, lt, body))

    def save(self, chain: Chain, changed: set[tuple[int, bytes]], txs: list[Transaction]) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            meta = {
                "minted": str(chain.minted),
                "fees_collected": str(chain.fees_collected),
                "lt": str(chain.lt),
                "code_kinds": json.dumps({h.hex(): k for h, k in chain.code_kinds.items()}),
                "wallet_code": to_boc(chain.wallet_code).hex(),
            }
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())
            for k in changed:
                acc = chain.accounts[k]
                db.execute(
                    "INSERT OR REPLACE INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        acc.address.wc,
                        acc.address.hash_part,
                        str(acc.balance),
                        acc.kind,
                        None if acc.code is None else to_boc(acc.code),
                        None if acc.data is None else to_boc(acc.data),
                        acc.last_lt,
                        acc.last_hash,
                    ),
                )
            db.executemany(
                "INSERT OR REPLACE INTO transactions VALUES (?, ?, ?, ?)",
                [(t.account.wc, t.account.hash_part, t.lt, transaction_to_json(t)) for t in txs],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
