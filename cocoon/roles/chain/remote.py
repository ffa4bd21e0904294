"""`RemoteLedger`: the `Ledger` of a chain service (`cocoon chain serve`) in another process."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pytoniq_core import Address, Cell

from cocoon.errors import ConfigError
from cocoon.http.client import HttpClient
from cocoon.http.errors import HttpError
from cocoon.roles.chain.codec import account_from_json, address_text, value_from_json, value_to_json
from cocoon.ton.cells import from_boc
from cocoon.ton.errors import CellDecodeError, ExternalRejectedError, LedgerError
from cocoon.ton.ledger import AccountState, Ledger, Transaction, transaction_from_json

if TYPE_CHECKING:
    from cocoon.ton.embedded.fees import FeeConfig
    from cocoon.ton.embedded.ledger import EmbeddedLedger


class RemoteLedger(Ledger):
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:  # out of range or not a number
            port = None
        if parts.scheme != "http" or not parts.hostname or not port:
            raise ConfigError(f"a ledger service URL is http://host:port, got {url!r}")
        self.url = url
        self._http = HttpClient(parts.hostname, port, max_connections=32)
        self._wallet_code: Cell | None = None

    async def _call(self, method: str, **args: Any) -> Any:
        body = json.dumps(args).encode()
        try:
            async with self._http.request(
                "POST", f"/{method}", headers=[("Content-Type", "application/json")], body=body
            ) as resp:
                data = await resp.read()
        except (HttpError, OSError) as e:
            raise LedgerError(f"ledger service {self.url}: {e}") from e
        result = json.loads(data) if data else {}
        if resp.status == 409:
            raise ExternalRejectedError(result["exit_code"], result.get("reason", ""))
        if resp.status != 200:
            raise LedgerError(f"ledger service {self.url}: {result.get('error', resp.status)}")
        return result

    async def get_account(self, address: Address) -> AccountState:
        return account_from_json(await self._call("get_account", address=address_text(address)))

    async def get_transactions(
        self, address: Address, *, after_lt: int = 0, limit: int | None = None
    ) -> list[Transaction]:
        rows = await self._call(
            "get_transactions", address=address_text(address), after_lt=after_lt, limit=limit
        )
        return [transaction_from_json(address, row["lt"], row["tx"]) for row in rows]

    async def send_external(self, boc: bytes) -> None:
        await self._call("send_external", boc=boc.hex())

    async def run_get_method(
        self, address: Address, method: str, stack: Sequence[Any] = ()
    ) -> list[Any]:
        out = await self._call(
            "run_get_method",
            address=address_text(address),
            method=method,
            stack=[value_to_json(v) for v in stack],
        )
        return [value_from_json(v) for v in out]

    async def wait_for_change(self, address: Address, after_lt: int) -> AccountState:
        while True:
            result = await self._call(
                "wait_for_change", address=address_text(address), after_lt=after_lt, wait=25
            )
            if result["changed"]:
                return account_from_json(result["state"])

    async def now(self) -> int:
        return int((await self._call("now"))["now"])

    async def wallet_code(self) -> Cell:
        # The service's chain chose it once for good (its wallets' addresses derive from it).
        if self._wallet_code is None:
            answer = await self._call("wallet_code")
            try:
                self._wallet_code = from_boc(bytes.fromhex(answer["code"]))
            except (KeyError, TypeError, ValueError, CellDecodeError) as e:
                raise LedgerError(f"ledger service {self.url}: bad wallet code: {e}") from e
        return self._wallet_code

    async def faucet(self, address: Address, amount: int) -> None:
        await self._call("faucet", address=address_text(address), amount=amount)

    async def aclose(self) -> None:
        await self._http.aclose()


def open_ledger(spec: str) -> Ledger:
    """A ledger from a role config's `ledger` value: `http://host:port` (a chain service) or
    a path to an embedded ledger's sqlite file (only one process may use it; mainnet fees)."""
    if "://" in spec:
        return RemoteLedger(spec)
    if spec.startswith("ton:"):
        # Not a file name: TON's liteservers, opened within a nursery by
        # `ledgers.open_ledger_spec` (as the roles' command line does).
        raise ConfigError("a ton: ledger is opened with ledgers.open_ledger_spec, in trio")
    if not spec:
        raise ConfigError("no ledger configured (`ledger`: http://host:port or a file path)")
    return open_embedded_ledger(Path(spec.removeprefix("embedded:")))


def open_embedded_ledger(path: Path, fees: FeeConfig | None = None) -> EmbeddedLedger:
    """The embedded ledger kept in the sqlite file `path` charging `fees` (default mainnet's,
    as TON would), or `ConfigError`."""
    import sqlite3

    from cocoon.ton.embedded.fees import MAINNET_FEES
    from cocoon.ton.embedded.ledger import EmbeddedLedger

    try:
        return EmbeddedLedger(path=path, fees=fees or MAINNET_FEES)
    except sqlite3.Error as e:
        raise ConfigError(f"cannot open the ledger file {path}: {e}") from e
