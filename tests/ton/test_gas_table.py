"""The gas table our compiled contracts measure (cocoon/ton/embedded/gas.json, written and
checked by contracts/tests/gas.test.mjs) and `MAINNET_FEES` charging it (issue 14)."""

from __future__ import annotations

import ast
import inspect

import attrs
import pytest

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
    txs = w.send(ton.Transfer(dest=addr(61), value=ONE))  # deploys the wallet: its external
    sent = ton.InternalMessage(dest=addr(61), value=ONE, src=w.address).to_cell()
    gas = GAS.fee(table.gas("wallet", EXTERNAL))
    assert txs[0].fees == gas + ton.MAINNET_FEES.forward.fee(sent)

    held = chain.balance(w.address)
    txs = chain.send_from_user(net.proxy_owner, w.address, ONE // 10, TextCommand.of("b").to_cell())
    tx = next(t for t in txs if t.account == w.address)
    assert tx.success and tx.fees == GAS.fee(table.entries[("wallet", 0)]) > 40_000
    assert chain.balance(w.address) == held + ONE // 10 - tx.fees
    assert chain.total() == chain.minted


def test_mainnet_fees_charge_a_failed_compute_its_handlers_gas() -> None:
    # TON charges a failed compute the gas it used; the chain charges the handler's figure.
    net = make_net()
    net.chain.fees = ton.MAINNET_FEES
    body = RootAddWorkerType(query_id=1, hash=bytes(32)).to_cell()
    held = net.chain.balance(net.root)
    # not from the owner, not bounceable: the fee is the gas alone
    txs = net.chain.send_from_user(net.proxy_owner, net.root, ONE, body, bounce=False)
    tx = next(t for t in txs if t.account == net.root)
    assert not tx.success and tx.exit_code == ton.ExitCode.EXPECTED_MESSAGE_FROM_OWNER
    charged = GAS.fee(measured_gas_table().entries[("root", int(ton.Op.ROOT_ADD_WORKER_TYPE))])
    assert tx.fees == charged > 40_000
    assert net.chain.balance(net.root) == held + ONE - charged


def test_zero_fees_stay_the_chain_default() -> None:
    assert make_net().chain.fees == ton.ZERO_FEES
    assert attrs.evolve(ton.MAINNET_FEES).gas_table.entries  # usable as it is
