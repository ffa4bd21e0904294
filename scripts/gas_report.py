#!/usr/bin/env python3
"""The gas our compiled contracts use and how far the embedded chain's balances are from a real
TVM's (issue 14's closing figures).

    python scripts/gas_report.py          # from the repository root

Part 1, from cocoon/ton/embedded/gas.json (measured in @ton/sandbox by
contracts/tests/gas.test.mjs): per contract and handler the gas a successful compute uses and its
fee at mainnet's gas prices, then the gas of each failing check by exit code.

Part 2 replays every vector (contracts/tests/vectors/*.json) on the embedded chain with
`MAINNET_FEES`, as tests/contracts/test_vector_balances.py does, and compares the nano the
contract lost with what it lost in the sandbox (contracts/tests/sandbox_balances.json): per
contract the largest and the median distance, and what is left of it beyond the gas table's
approximation (the table charges a handler the most gas any vector of it used).
"""

from __future__ import annotations

import statistics
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cocoon import ton  # noqa: E402
from cocoon.ton.embedded.fees import EXTERNAL, NO_OP, UNKNOWN_OP  # noqa: E402
from tests.contracts.test_vector_balances import replay  # noqa: E402

GAS = ton.MAINNET_FEES.gas
KINDS = ("root", "proxy", "client", "worker", "wallet")
_PSEUDO = {
    NO_OP: "empty body",
    EXTERNAL: "external",
    UNKNOWN_OP: "unknown op",
    0xFFFFFFFF: "bounce",
}


def op_name(op: int) -> str:
    if op in _PSEUDO:
        return _PSEUDO[op]
    try:
        return f"{ton.Op(op).name.lower()} ({op:#010x})"
    except ValueError:
        return f"{op:#010x}"


def exit_name(code: int) -> str:
    try:
        return f"{code} {ton.ExitCode(code).name.lower()}"
    except ValueError:
        return str(code)


def gas_part() -> None:
    table = ton.MAINNET_FEES.gas_table
    print("Gas per handler (mainnet: 400 nano per gas unit, flat 40,000 nano up to 100 units)")
    for kind in KINDS:
        print(f"\n{kind}")
        ops = {op for k, op in table.entries if k == kind}
        ops |= {op for k, op, _ in table.failed if k == kind}
        for op in sorted(ops, key=lambda o: (o < 0, o)):
            gas = table.entries.get((kind, op))
            if gas is None:  # only failures measured: the contract rejects the op
                print(f"  {op_name(op):52} {'-':>6}")
            else:
                print(f"  {op_name(op):52} {gas:6} gas {GAS.fee(gas):>10,} nano")
            failed = sorted((c, g) for (k, o, c), g in table.failed.items() if (k, o) == (kind, op))
            for code, gas in failed:
                print(f"      fails {exit_name(code):40} {gas:6} gas {GAS.fee(gas):>10,} nano")


def balance_part() -> None:
    rows = replay()
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_kind[r["kind"]].append(r)
    print(f"\nEmbedded chain vs @ton/sandbox over {len(rows)} vectors (nano the contract lost)")
    head = "  contract  vectors  same exit  max |diff|  median |diff|  beyond the gas table"
    print(head)
    for kind in KINDS:
        rs = by_kind[kind]
        diffs = [abs(r["diff"]) for r in rs]
        beyond = max(abs(r["diff"] - r["over"]) for r in rs)
        same = sum(r["exit"][0] == r["exit"][1] and r["sent"][0] == r["sent"][1] for r in rs)
        print(
            f"  {kind:8} {len(rs):8} {same:10} {max(diffs):>11,} {int(statistics.median(diffs)):>14,}"
            f" {beyond:>21,}"
        )
    worst = max(rows, key=lambda r: abs(r["diff"]))
    print(f"  largest: {worst['kind']} {worst['name']!r}: {worst['diff']:,} nano")
    exact = sum(r["diff"] == r["over"] for r in rows)
    print(f"  vectors where the chain's loss is the TVM's plus the table's overcharge: {exact}")


if __name__ == "__main__":
    gas_part()
    balance_part()
