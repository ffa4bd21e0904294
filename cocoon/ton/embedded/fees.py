"""Fees as TON computes them from its blockchain config: gas (params 20/21), forwarding
(params 24/25) and storage (param 18), in nano-TON, by the rules of TON's
crypto/block/transaction.cpp:

* forwarding (`ForwardPrices.fee`): the lump price plus the distinct cells outside the
  message's root cell and their bits (`compute_fwd_fees`): a body or StateInit inline in the
  root is free, one in a ref is counted. The sender pays it all (`first_frac` only splits it
  between blocks' fee accounts); the receiver gets the value. An inbound external pays the
  same formula as its import fee before compute. A bounce counts only the cells its body
  refers to: the classic body has none, so it costs the lump price.
* storage (`account_storage_used`): code and data trees plus the AccountStorage root.

The contract ports cannot count TVM gas, so a handler's gas comes from a `GasTable`:
(contract kind, opcode) -> gas units, measured on our compiled contracts by their sandbox tests
(`cocoon/ton/embedded/gas.json`, written and checked by contracts/tests/gas.test.mjs; loaded by
`measured_gas_table`): per handler the most gas a successful vector of its op used, and per
handler and exit code the most gas a compute failing so used (TON charges a failed compute the
gas it used). With mainnet prices the chain's balances are the sandbox's to the table's
approximation and not a nano more (tests/contracts/test_vector_balances.py;
scripts/gas_report.py prints the figures). `MAINNET_FEES` is mainnet's prices with that table:
local networks run on it (`NetworkConfig.fees`, `cocoon network --fees`, `cocoon chain serve
--fees`, a role opening a chain file), and so do the whole-network tests, so the values the
roles attach are checked against what TON charges (`cocoon.ton.embedded.margins`). `ZERO_FEES`
is a bare `Chain`'s default, for unit tests that want it: nothing costs anything and, with a
gas price of 0, every message buys the whole gas
limit, so no compute phase is skipped. `MAINNET_FLOOR` is mainnet's prices with no gas
measured (every computed transaction pays the flat gas price, and a message that cannot buy it
is not computed, as on TON).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from importlib import resources

import attrs
from pytoniq_core import Cell

from cocoon.ton.errors import LedgerError

# Pseudo-opcodes for handlers that have none: an internal message with an empty (or shorter
# than 32 bits) body, and an external message.
NO_OP = -1
EXTERNAL = -2
# An op the contract does not have (it fails with "unknown op"): what any op missing from a
# contract's entries costs.
UNKNOWN_OP = -3


@attrs.frozen
class GasPrices:
    """Config param 21 (basechain gas prices). `gas_price` is nano per 2^16 gas units."""

    gas_price: int = 0
    gas_limit: int = 1_000_000
    gas_credit: int = 10_000
    flat_gas_limit: int = 0
    flat_gas_price: int = 0

    def bought_for(self, nano: int) -> int:
        """Gas units `nano` buys (TON's `gas_bought_for`): 0 below the flat price."""
        if nano < 0:
            return 0
        threshold = self.flat_gas_price + _ceil_shift(
            self.gas_price * max(self.gas_limit - self.flat_gas_limit, 0)
        )
        if nano >= threshold:
            return self.gas_limit
        if nano < self.flat_gas_price:
            return 0
        return ((nano - self.flat_gas_price) << 16) // self.gas_price + self.flat_gas_limit

    def fee(self, gas_used: int) -> int:
        """Nano for `gas_used` units (TON's `compute_gas_price`)."""
        if gas_used <= self.flat_gas_limit:
            return self.flat_gas_price
        return self.flat_gas_price + _ceil_shift(self.gas_price * (gas_used - self.flat_gas_limit))


@attrs.frozen
class ForwardPrices:
    """Config param 25 (basechain message forwarding prices); bit and cell prices per 2^16."""

    lump_price: int = 0
    bit_price: int = 0
    cell_price: int = 0

    def price(self, bits: int, cells: int) -> int:
        """TON's `compute_fwd_fees`: the lump price plus `bits` and `cells` (those outside the
        message's root cell; the lump pays for the root)."""
        return self.lump_price + _ceil_shift(self.bit_price * bits + self.cell_price * cells)

    def fee(self, message: Cell) -> int:
        """A message's forwarding fee, or an inbound external's import fee (TON prices both
        alike): the lump price plus the distinct cells under the root and their bits. A body
        or StateInit stored inline in the root is free; one in a ref is counted."""
        return self.price(*tree_size(message.refs))

    def bounce_fee(self, body: Cell) -> int:
        """A bounce's forwarding fee: TON counts only the cells the bounce body refers to
        (`prepare_bounce_phase`); the classic body (32 ones and the first 256 bits of the
        inbound body) has none, so it is the lump price."""
        return self.price(*tree_size(body.refs))


@attrs.frozen
class StoragePrices:
    """Config param 18 (basechain storage prices, per bit and cell per second, per 2^16)."""

    bit_price_ps: int = 0
    cell_price_ps: int = 0

    def fee(self, bits: int, cells: int, seconds: int) -> int:
        if seconds <= 0:
            return 0
        return _ceil_shift((self.bit_price_ps * bits + self.cell_price_ps * cells) * seconds)


@attrs.frozen
class GasTable:
    """Gas units per handler, keyed by (contract kind, opcode, or `NO_OP` / `EXTERNAL` /
    `UNKNOWN_OP`). An op missing from the table costs the contract's `UNKNOWN_OP` entry (the
    contract rejects it), or else `default`; with neither it is an error (a fee config that
    charges gas must not silently charge nothing).

    `failed`: (kind, op, exit code) -> the gas a compute of that handler failing with that code
    used (TON charges a failed compute the gas it used, and a check that fails early uses less
    than the handler's success). A failure the table has no figure for pays the handler's."""

    entries: Mapping[tuple[str, int], int] = attrs.field(factory=dict)
    default: int | None = None
    failed: Mapping[tuple[str, int, int], int] = attrs.field(factory=dict)

    def gas(self, kind: str, op: int, exit_code: int = 0) -> int:
        if exit_code:
            used = self.failed.get((kind, op, exit_code))
            if used is not None:
                return used
        used = self.entries.get((kind, op))
        if used is None:
            used = self.entries.get((kind, UNKNOWN_OP), self.default)
        if used is None:
            handler = {NO_OP: "empty-body", EXTERNAL: "external"}.get(op, f"op {op:#x}")
            raise LedgerError(f"no gas measured for the {kind} contract's {handler} handler")
        return used


@attrs.frozen
class FeeConfig:
    """The fee parts of a blockchain config, and the gas each contract handler uses."""

    gas: GasPrices = GasPrices()
    forward: ForwardPrices = ForwardPrices()
    storage: StoragePrices = StoragePrices()
    gas_table: GasTable = GasTable(default=0)

    def handler_gas(self, kind: str, op: int, exit_code: int = 0) -> int:
        """The gas a compute of `kind`'s handler for `op` that ends with `exit_code` uses."""
        if self.gas.gas_price == 0 and self.gas.flat_gas_price == 0:
            return 0  # gas is free: no table needed
        return self.gas_table.gas(kind, op, exit_code)


def tree_size(roots: list[Cell]) -> tuple[int, int]:
    """(bits, cells) of the distinct cells under `roots` (TON counts a shared cell once)."""
    seen: set[bytes] = set()
    bits = cells = 0
    stack = list(roots)
    while stack:
        c = stack.pop()
        h = c.hash
        if h in seen:
            continue
        seen.add(h)
        bits += len(c.bits)
        cells += 1
        stack.extend(c.refs)
    return bits, cells


def account_storage_used(code: Cell | None, data: Cell | None, balance: int) -> tuple[int, int]:
    """(bits, cells) TON's storage phase prices for an active account (its `storage_used`):
    the code and data trees and the AccountStorage root that refers to them: last_trans_lt
    (64 bits), the balance (VarUInteger 16), no extra currencies (1), account_active (1) and
    the StateInit's five Maybe/HashmapE flags. `balance` is the one the last transaction left."""
    bits, cells = tree_size([c for c in (code, data) if c is not None])
    return bits + 64 + 4 + 8 * ((balance.bit_length() + 7) // 8) + 1 + 1 + 5, cells + 1


_PSEUDO_KEYS = {"empty": NO_OP, "external": EXTERNAL, "unknown": UNKNOWN_OP}


def gas_table_from_json(text: str | bytes) -> GasTable:
    """A `GasTable` from gas.json: `handlers` {kind: {"0x%08x" op, or "empty" / "external" /
    "unknown": gas}} and `failed` {kind: {op key: {"exit code": gas}}} (a compute that failed
    with that code)."""
    table = json.loads(text)
    entries: dict[tuple[str, int], int] = {}
    for kind, ops in table["handlers"].items():
        for key, gas in ops.items():
            entries[(kind, _op_of(key))] = _gas_figure(gas, kind, key)
    failed: dict[tuple[str, int, int], int] = {}
    for kind, ops in table.get("failed", {}).items():
        for key, by_exit in ops.items():
            if not isinstance(by_exit, dict):
                raise ValueError(f"gas table: failed {kind} {key}: {by_exit!r} is not by exit code")
            for code, gas in by_exit.items():
                failed[(kind, _op_of(key), int(code))] = _gas_figure(gas, kind, key)
    return GasTable(entries, failed=failed)


def _op_of(key: str) -> int:
    return _PSEUDO_KEYS[key] if key in _PSEUDO_KEYS else int(key, 16)


def _gas_figure(gas: object, kind: str, key: str) -> int:
    if not isinstance(gas, int) or gas < 0:
        raise ValueError(f"gas table: {kind} {key}: {gas!r} is not a gas figure")
    return gas


@functools.cache
def measured_gas_table() -> GasTable:
    """The gas our compiled contracts use per handler, as their sandbox tests measured it
    (`cocoon/ton/embedded/gas.json`, shipped in the package)."""
    path = resources.files("cocoon.ton.embedded") / "gas.json"
    return gas_table_from_json(path.read_bytes())


def _ceil_shift(x: int) -> int:
    return -((-x) >> 16)


ZERO_FEES = FeeConfig()

# TON mainnet basechain, as its config holds them today (docs.ton.org "Blockchain params",
# tonscan.org/config; spec 30 has no fee figures):
#   param 21: gas_price 26214400 (400 nano/gas), gas_limit 1000000, gas_credit 10000,
#             flat_gas_limit 100, flat_gas_price 40000
#   param 25: lump_price 400000, bit_price 26214400, cell_price 2621440000 (first_frac 21845:
#             a third of the forwarding fee goes to the sender's action phase, the rest with
#             the message; both are fees here)
#   param 18: bit_price_ps 1, cell_price_ps 500
MAINNET_GAS = GasPrices(
    gas_price=26_214_400,
    gas_limit=1_000_000,
    gas_credit=10_000,
    flat_gas_limit=100,
    flat_gas_price=40_000,
)
MAINNET_FORWARD = ForwardPrices(lump_price=400_000, bit_price=26_214_400, cell_price=2_621_440_000)
MAINNET_STORAGE = StoragePrices(bit_price_ps=1, cell_price_ps=500)
# Mainnet's prices, each handler charged the gas our compiled contracts measure for it.
MAINNET_FEES = FeeConfig(
    gas=MAINNET_GAS,
    forward=MAINNET_FORWARD,
    storage=MAINNET_STORAGE,
    gas_table=measured_gas_table(),
)
# Mainnet's prices with no handler measured yet: every computed transaction pays the flat gas
# price (its gas taken as at most 100 units), forwarding and storage are charged in full, and
# the skip rule holds. A floor of what TON charges, until the gas table exists.
MAINNET_FLOOR = attrs.evolve(MAINNET_FEES, gas_table=GasTable(default=0))

# The fee configs a command line can name (`cocoon network --fees`, `cocoon chain serve --fees`).
FEES_BY_NAME: Mapping[str, FeeConfig] = {"mainnet": MAINNET_FEES, "zero": ZERO_FEES}
