"""The proxy's durable records (spec 30 section 12), in sqlite.

Like the reference's RocksDB: a key/value table whose values are TL-boxed objects
(`proxyDb.clientInfoV2`, `proxyDb.workerInfo`) or, for the proxy's own state, JSON, each
followed by an Ed25519 signature by the proxy's key over the value; every read checks it, so
a tampered or foreign database is refused rather than trusted. Writes go in one transaction
with `synchronous=FULL`: when `write()` returns, the batch is on disk. The calls block;
the proxy runs them in a worker thread (`trio.to_thread`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from cocoon import tl
from cocoon.errors import CocoonError
from cocoon.ton.keys import public_key, sign, verify

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL, sig BLOB NOT NULL)"
)
CONFIG_KEY = "config"
RETIRED_PREFIX = "oldproxy_"  # + the old proxy contract's raw address


class StoreError(CocoonError):
    """The database cannot be used: unreadable, tampered with, or made by another key."""


@attrs.frozen
class StoredState:
    config: dict[str, Any] | None
    clients: tuple[tl.ProxyDbClientInfoV2, ...]
    workers: tuple[tl.ProxyDbWorkerInfo, ...]
    # Old proxy contracts still being closed (`cocoon.roles.proxy.retired`), by key.
    retired: dict[str, dict[str, Any]] = attrs.field(factory=dict)


def client_key(owner: str) -> str:
    return f"client_{owner}"


def worker_key(owner: str) -> str:
    return f"worker_{owner}"


class ProxyStore:
    def __init__(self, path: str | Path, seed: bytes) -> None:
        self.path = str(path)
        self._seed = seed
        self._public = public_key(seed)
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(SCHEMA)
        except sqlite3.Error as e:
            raise StoreError(f"cannot open the proxy database {self.path}: {e}") from e

    def close(self) -> None:
        self._db.close()

    def _check(self, key: str, value: bytes, sig: bytes) -> bytes:
        if not verify(self._public, key.encode() + b"\0" + value, sig):
            raise StoreError(
                f"record {key!r} is not signed by this proxy's key (tampered or foreign database)"
            )
        return value

    def load(self) -> StoredState:
        config = None
        clients: list[tl.ProxyDbClientInfoV2] = []
        workers: list[tl.ProxyDbWorkerInfo] = []
        retired: dict[str, dict[str, Any]] = {}
        try:
            rows = self._db.execute("SELECT key, value, sig FROM kv").fetchall()
        except sqlite3.Error as e:
            raise StoreError(f"cannot read the proxy database: {e}") from e
        for key, value, sig in rows:
            value = self._check(key, bytes(value), bytes(sig))
            try:
                if key == CONFIG_KEY:
                    config = json.loads(value)
                elif key.startswith("client_"):
                    info = tl.decode(value, (tl.ProxyDbClientInfoV2, tl.ProxyDbClientInfo))
                    if isinstance(info, tl.ProxyDbClientInfo):  # the old record had no stake
                        info = tl.ProxyDbClientInfoV2(
                            stake=0, **{f: getattr(info, f) for f, *_ in info.TL_FIELDS}
                        )
                    clients.append(info)
                elif key.startswith("worker_"):
                    workers.append(tl.decode(value, tl.ProxyDbWorkerInfo))
                elif key.startswith(RETIRED_PREFIX):
                    retired[key] = json.loads(value)
            except (tl.TLDecodeError, ValueError) as e:
                raise StoreError(f"record {key!r} does not decode: {e}") from e
        return StoredState(config, tuple(clients), tuple(workers), retired)

    def write(self, records: Mapping[str, tl.TLObject | dict[str, Any] | None]) -> None:
        """Write (or delete, for None) records in one durable transaction."""
        try:
            self._db.execute("BEGIN")
            for key, obj in records.items():
                if obj is None:
                    self._db.execute("DELETE FROM kv WHERE key = ?", (key,))
                    continue
                value = json.dumps(obj).encode() if isinstance(obj, dict) else tl.encode(obj)
                sig = sign(self._seed, key.encode() + b"\0" + value)
                self._db.execute(
                    "INSERT OR REPLACE INTO kv (key, value, sig) VALUES (?, ?, ?)",
                    (key, value, sig),
                )
            self._db.execute("COMMIT")
        except sqlite3.Error as e:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise StoreError(f"cannot write the proxy database: {e}") from e
