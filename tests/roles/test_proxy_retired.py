"""Retired proxy contracts (sans-IO part): who is owed what, and the durable record."""

from __future__ import annotations

from pytoniq_core import Address

from cocoon import tl
from cocoon.roles.proxy.retired import RetiredInstance, Stage, retire
from cocoon.roles.proxy.store import RETIRED_PREFIX
from cocoon.ton.contracts import ProxyContract
from cocoon.ton.embedded.local import local_params

OWNER = Address("0:" + "11" * 32)
ROOT = Address("0:" + "22" * 32)
KEY = b"\x33" * 32


def _client(owner: str, status: int, tokens: int) -> tl.ProxyDbClientInfoV2:
    return tl.ProxyDbClientInfoV2(
        owner_address=owner, sc_address="0:" + "44" * 32, status=status, balance=0, stake=0,
        sc_tokens_used=0, tokens_used=tokens, secret_hash=bytes(32), last_request_at=0,
    )  # fmt: skip


def _worker(owner: str, tokens: int) -> tl.ProxyDbWorkerInfo:
    return tl.ProxyDbWorkerInfo(
        owner_address=owner, sc_address="0:" + "55" * 32, sc_tokens=0, tokens=tokens,
        last_request_at=0,
    )  # fmt: skip


def test_retiring_refunds_open_clients_and_pays_workers_owed_anything():
    contract = ProxyContract(OWNER, KEY, ROOT, local_params(price_per_token=7))
    inst = retire(
        contract,
        # -1: never seen on-chain (no contract to refund); 2: closed already
        [_client("a", 0, 10), _client("b", 1, 5), _client("c", -1, 3), _client("d", 2, 9)],
        [_worker("w", 12), _worker("idle", 0)],
    )
    assert inst.stage is Stage.NOT_STARTED
    assert inst.clients == [("a", 10), ("b", 5)]
    assert inst.workers == [("w", 12)]
    assert inst.key == RETIRED_PREFIX + contract.address.to_str(is_user_friendly=False)


def test_the_record_restores_the_same_contract_and_progress():
    contract = ProxyContract(OWNER, KEY, ROOT, local_params(price_per_token=7))
    inst = RetiredInstance(contract, Stage.WORKERS, 1234, [], [("w", 12), ("v", 3)])
    back = RetiredInstance.from_record(inst.record(), OWNER, KEY)
    assert back.contract.address == contract.address  # params, root, owner and key all kept
    assert back.contract.params.price_per_token == 7
    assert (back.stage, back.close_at, back.clients, back.workers) == (
        Stage.WORKERS, 1234, [], [("w", 12), ("v", 3)],
    )  # fmt: skip
    inst.stage = Stage.CLOSED
    assert inst.record() is None  # a closed instance's record is deleted
