"""Persistence of the embedded chain: one sqlite file with BOCs, so a restarted local network
keeps its money. Each batch of transactions is written in one sqlite transaction (atomic)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from pytoniq_core import Address

from cocoon.ton.cells import from_boc, to_boc
from cocoon.ton.embedded.chain import Account, Chain
from cocoon.ton.ledger import MessageInfo, Transaction

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


def _tx_json(tx: Transaction) -> str:
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


def _tx(account: Address, lt: int, text: str) -> Transaction:
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
            acc.transactions.append(_tx(acc.address, lt, body))

    def save(self, chain: Chain, changed: set[tuple[int, bytes]], txs: list[Transaction]) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            meta = {
                "minted": str(chain.minted),
                "fees_collected": str(chain.fees_collected),
                "lt": str(chain.lt),
                "code_kinds": json.dumps({h.hex(): k for h, k in chain.code_kinds.items()}),
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
                [(t.account.wc, t.account.hash_part, t.lt, _tx_json(t)) for t in txs],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
