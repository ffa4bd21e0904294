"""JSON forms of the ledger's values for the chain service."""

from __future__ import annotations

from typing import Any

from pytoniq_core import Address, Cell

from cocoon.ton.cells import from_boc, to_boc
from cocoon.ton.ledger import AccountState, AccountStatus


def address_text(a: Address) -> str:
    return f"{a.wc}:{a.hash_part.hex()}"


def account_to_json(state: AccountState) -> dict[str, Any]:
    return {
        "address": address_text(state.address),
        "status": state.status.value,
        "balance": str(state.balance),
        "code": None if state.code is None else to_boc(state.code).hex(),
        "data": None if state.data is None else to_boc(state.data).hex(),
        "last_tx_lt": state.last_tx_lt,
        "last_tx_hash": state.last_tx_hash.hex(),
        "sync_utime": state.sync_utime,
    }


def account_from_json(d: dict[str, Any]) -> AccountState:
    return AccountState(
        address=Address(d["address"]),
        status=AccountStatus(d["status"]),
        balance=int(d["balance"]),
        code=None if d["code"] is None else from_boc(bytes.fromhex(d["code"])),
        data=None if d["data"] is None else from_boc(bytes.fromhex(d["data"])),
        last_tx_lt=d["last_tx_lt"],
        last_tx_hash=bytes.fromhex(d["last_tx_hash"]),
        sync_utime=d["sync_utime"],
    )


def value_to_json(v: Any) -> dict[str, Any]:
    """A get-method stack value: an int, an address or a cell."""
    if isinstance(v, bool) or not isinstance(v, int | Address | Cell):
        raise TypeError(f"cannot carry {type(v).__name__} on the stack")
    if isinstance(v, int):
        return {"int": str(v)}
    if isinstance(v, Address):
        return {"address": address_text(v)}
    return {"cell": to_boc(v).hex()}


def value_from_json(d: dict[str, Any]) -> Any:
    if "int" in d:
        return int(d["int"])
    if "address" in d:
        return Address(d["address"])
    return from_boc(bytes.fromhex(d["cell"]))
