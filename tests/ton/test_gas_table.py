"""The gas table our compiled contracts measure (cocoon/ton/embedded/gas.json, written and
checked by contracts/tests/gas.test.mjs) and `MAINNET_FEES` charging it (issue 14)."""

from __future__ import annotations

import ast
import inspect

import attrs
import pytest
from pytoniq_core import Cell

from cocoon import ton
from cocoon.ton.bodies import RootAddWorkerType, TextCommand
from cocoon.ton.embedded.contracts import PORTS, Port
from cocoon.ton.embedded.fees import (
    EXTERNAL,
    NO_OP,
    UNKNOWN_OP,
    gas_table_from_json,
    measured_gas_table,
)
from tests.ton.helpers import addr, make_net

ONE = ton.ONE_TON
GAS = ton.MAINNET_FEES.gas
BOUNCE = 0xFFFFFFFF  # a bounced message's body starts with 32 ones: the chain's op for it


def port_ops(kind: str) -> set[int]:
    """Every op the port of `kind` compares its message's `op` with (`op == Op.X`,
    `op in (...)`, `op in _NAME`), read from its source."""
    port = PORTS[kind]
    module = inspect.getmodule(type(port))
    tree = ast.parse(inspect.getsource(module))
    ops: set[int] = set()

    def values(node: ast.expr) -> list[int]:
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return [int(getattr(ton.Op, node.attr))] if node.value.id == "Op" else []
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return [node.value]
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return [v for e in node.elts for v in values(e)]
        if isinstance(node, ast.Name) and hasattr(module, node.id):
            return [int(v) for v in getattr(module, node.id)]
        return []

    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name):
            if node.left.id == "op":
                for comparator in node.comparators:
                    ops.update(values(comparator))
    return ops


@pytest.mark.parametrize("kind", sorted(PORTS))
def test_every_handler_of_the_ports_has_a_measured_figure(kind: str) -> None:
    ops = port_ops(kind)
    assert ton.Op.DO_NOT_PROCESS in ops and len(ops) > 1  # the source was read
    wanted = ops | {NO_OP, BOUNCE, UNKNOWN_OP}
    if type(PORTS[kind]).external is not Port.external:
        wanted.add(EXTERNAL)
    entries = measured_gas_table().entries
    missing = sorted(op for op in wanted if (kind, op) not in entries)
    assert missing == [], f"{kind}: no gas measured for {[hex(op) for op in missing]}"
    for op in wanted:
        assert 300 < entries[(kind, op)] < 20_000  # a TVM figure, not a placeholder


def test_the_table_covers_exactly_the_five_contracts() -> None:
    assert {kind for kind, _ in measured_gas_table().entries} == set(PORTS)
    assert ton.MAINNET_FEES.gas_table == measured_gas_table()


def test_an_op_no_contract_has_costs_the_unknown_op_figure() -> None:
    table = measured_gas_table()
    assert table.gas("proxy", 0x0BADC0DE) == table.entries[("proxy", UNKNOWN_OP)]
    with pytest.raises(ton.LedgerError, match="no gas measured"):
        ton.GasTable({("proxy", 1): 5}).gas("proxy", 2)


def test_a_malformed_table_is_refused() -> None:
    with pytest.raises(ValueError, match="not a gas figure"):
        gas_table_from_json('{"handlers": {"root": {"0x00000001": "many"}}}')
    with pytest.raises(ValueError):
        gas_table_from_json('{"handlers": {"root": {"some-op": 1}}}')


def test_mainnet_fees_charge_a_wallet_handler_exactly_its_measured_gas() -> None:
    table = measured_gas_table()
    net = make_net()
    net.chain.fees = ton.MAINNET_FEES
    chain, w = net.chain, net.proxy_wallet
    net.chain.create_user(addr(61))
    external = w.external(ton.Transfer(dest=addr(61), value=ONE))  # deploys the wallet
    txs = chain.submit_external(external)
    sent = ton.InternalMessage(dest=addr(61), value=ONE, src=w.address).to_cell()
    gas = GAS.fee(table.gas("wallet", EXTERNAL))
    forward = ton.MAINNET_FEES.forward
    assert txs[0].fees == forward.fee(Cell.one_from_boc(external)) + gas + forward.fee(sent)

    held = chain.balance(w.address)
    txs = chain.send_from_user(net.proxy_owner, w.address, ONE // 10, TextCommand.of("b").to_cell())
    tx = next(t for t in txs if t.account == w.address)
    assert tx.success and tx.fees == GAS.fee(table.entries[("wallet", 0)]) > 40_000
    assert chain.balance(w.address) == held + ONE // 10 - tx.fees
    assert chain.total() == chain.minted


def test_mainnet_fees_charge_a_failed_compute_the_gas_its_failing_check_used() -> None:
    # TON charges a failed compute the gas it used: the owner check fails early, for less
    # than the handler's success, and the table has that figure by exit code.
    net = make_net()
    net.chain.fees = ton.MAINNET_FEES
    body = RootAddWorkerType(query_id=1, hash=bytes(32)).to_cell()
    held = net.chain.balance(net.root)
    # not from the owner, not bounceable: the fee is the gas alone
    txs = net.chain.send_from_user(net.proxy_owner, net.root, ONE, body, bounce=False)
    tx = next(t for t in txs if t.account == net.root)
    assert not tx.success and tx.exit_code == ton.ExitCode.EXPECTED_MESSAGE_FROM_OWNER
    table, op = measured_gas_table(), int(ton.Op.ROOT_ADD_WORKER_TYPE)
    failed = table.failed[("root", op, int(ton.ExitCode.EXPECTED_MESSAGE_FROM_OWNER))]
    assert failed < table.entries[("root", op)]
    assert tx.fees == GAS.fee(failed) > 40_000
    assert net.chain.balance(net.root) == held + ONE - GAS.fee(failed)


def test_a_failure_the_table_has_no_figure_for_pays_the_handlers_gas() -> None:
    table = ton.GasTable({("root", 7): 3_000}, failed={("root", 7, 1010): 1_000})
    assert table.gas("root", 7) == 3_000
    assert table.gas("root", 7, 1010) == 1_000
    assert table.gas("root", 7, 1011) == 3_000


def test_the_failed_part_is_read_by_exit_code() -> None:
    text = '{"handlers": {"root": {"0x00000007": 3000}}, "failed": {"root": {"0x00000007": {"1010": 900, "-14": 5}}}}'
    table = gas_table_from_json(text)
    assert table.failed == {("root", 7, 1010): 900, ("root", 7, -14): 5}
    with pytest.raises(ValueError, match="by exit code"):
        gas_table_from_json('{"handlers": {}, "failed": {"root": {"0x00000007": 900}}}')
    assert all(code for _, _, code in measured_gas_table().failed)  # failures only


def test_zero_fees_stay_the_chain_default() -> None:
    assert make_net().chain.fees == ton.ZERO_FEES
    assert attrs.evolve(ton.MAINNET_FEES).gas_table.entries  # usable as it is
