"""Proxy contracts of earlier root params, and how the proxy closes them (spec 30 sections
10.5-10.6).

The root's params are part of every contract's data, so when its `params_version` goes up
every address changes: the proxy deploys a new contract and retires the old one. Retiring
moves the old contract's clients and workers, with what each is owed (`tokens_max`), into one
durable `RetiredInstance` record, in the same transaction that deletes their live records.
Then the instance is closed one message at a time, each step persisted together with its
effect, so a restart resumes where it stopped and never sends a step twice after it was done:

    NOT_STARTED  -> close request to the old proxy contract (it stops taking new charges)
    CLIENTS      -> grant each client its refund, for the tokens it used
    WORKERS      -> pay each worker its last payout (its contract closes)
    CLOSING      -> after the params' close delay, complete the close: the old contract pays
                    its balance and stake to the owner; the record is deleted

A step "succeeds" once our wallet has executed the message (as in the reference): a client
contract that refuses its refund (already closed, say) does not hold up the others.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs
import trio
from pytoniq_core import Address, Cell

from cocoon import tl
from cocoon.errors import PaymentError
from cocoon.roles.proxy.store import RETIRED_PREFIX
from cocoon.ton import flows
from cocoon.ton.cells import parse_address
from cocoon.ton.contracts import ProxyContract
from cocoon.ton.errors import LedgerError
from cocoon.ton.ledger import read_contract
from cocoon.ton.params import Params

if TYPE_CHECKING:
    from cocoon.roles.proxy.node import ProxyNode

log = logging.getLogger("cocoon.proxy.retired")


class Stage(enum.IntEnum):
    NOT_STARTED = 1
    CLIENTS = 2
    WORKERS = 3
    CLOSING = 4
    CLOSED = 5


@attrs.define(eq=False)
class RetiredInstance:
    """An old proxy contract still to be closed, with who is still owed what on it (owners
    as the proxy names them, tokens as adjusted tokens)."""

    contract: ProxyContract
    stage: Stage = Stage.NOT_STARTED
    close_at: int = 0  # chain time after which the close may complete (set by the request)
    clients: list[tuple[str, int]] = attrs.field(factory=list)
    workers: list[tuple[str, int]] = attrs.field(factory=list)

    @property
    def key(self) -> str:
        return RETIRED_PREFIX + self.contract.address.to_str(is_user_friendly=False)

    def record(self) -> dict[str, Any] | None:
        """What the database keeps (None: delete, once closed)."""
        if self.stage is Stage.CLOSED:
            return None
        c = self.contract
        return {
            "root": c.root.to_str(is_user_friendly=False),
            "params": c.params.to_cell().to_boc().hex(),
            "stage": int(self.stage),
            "close_at": self.close_at,
            "clients": [list(x) for x in self.clients],
            "workers": [list(x) for x in self.workers],
        }

    @classmethod
    def from_record(
        cls, record: dict[str, Any], owner: Address, public_key: bytes
    ) -> RetiredInstance:
        contract = ProxyContract(
            owner=owner,
            public_key=public_key,
            root=parse_address(record["root"]),
            params=Params.from_cell(Cell.one_from_boc(bytes.fromhex(record["params"]))),
        )
        return cls(
            contract,
            Stage(record["stage"]),
            int(record["close_at"]),
            [(str(o), int(t)) for o, t in record["clients"]],
            [(str(o), int(t)) for o, t in record["workers"]],
        )


def retire(
    contract: ProxyContract,
    clients: Iterable[tl.ProxyDbClientInfoV2],
    workers: Iterable[tl.ProxyDbWorkerInfo],
) -> RetiredInstance:
    """The instance record for `contract` with these (database) records: clients whose
    contract exists and is not closed get a refund for all they used; workers that are owed
    anything get a last payout for all they earned."""
    return RetiredInstance(
        contract,
        clients=[(c.owner_address, c.tokens_used) for c in clients if c.status in (0, 1)],
        workers=[(w.owner_address, w.tokens) for w in workers if w.tokens > 0],
    )


RETRY_DELAY = (1.0, 60.0)  # a step that failed is tried again after this (doubling, capped)


async def close_instance(node: ProxyNode, inst: RetiredInstance) -> None:
    """Close `inst` step by step until its record is gone (retrying failed steps)."""
    delay = RETRY_DELAY[0]
    name = inst.contract.address.to_str()
    while inst.stage is not Stage.CLOSED:
        try:
            await _step(node, inst)
            delay = RETRY_DELAY[0]
        except (LedgerError, PaymentError) as e:
            log.warning("closing old proxy contract %s (%s): %s", name, inst.stage.name, e)
            await trio.sleep(delay)
            delay = min(delay * 2, RETRY_DELAY[1])
    node.retired.pop(inst.key, None)
    log.info("old proxy contract %s closed", name)


async def _step(node: ProxyNode, inst: RetiredInstance) -> None:
    contract, signer, wallet = inst.contract, node.signer, node.wallet
    excess = wallet.address
    if inst.stage is Stage.NOT_STARTED:
        await wallet.send(
            flows.submit_payment(signer.proxy_close_request(contract.address, excess))
        )
        inst.stage = Stage.CLIENTS
        inst.close_at = await node.ledger.now() + contract.params.proxy_delay_before_close + 1
    elif inst.stage is Stage.CLIENTS:
        if inst.clients:
            owner, tokens = inst.clients[0]
            sc = contract.client(parse_address(owner)).address
            if await _open(node, sc, "client"):
                payment = signer.client_grant_refund(sc, tokens, excess)
                await wallet.send(flows.submit_payment(payment))
                log.info("granted client %s its refund at old proxy contract", owner)
            inst.clients.pop(0)
        else:
            inst.stage = Stage.WORKERS
    elif inst.stage is Stage.WORKERS:
        if inst.workers:
            owner, tokens = inst.workers[0]
            worker = contract.worker(parse_address(owner))
            payment = signer.worker_last_payout(worker.address, tokens, excess)
            transfer = flows.worker_payout(payment, excess, by_worker=False)
            state = await node.ledger.get_account(worker.address)
            if not state.active:  # never paid before: the payout deploys its contract
                transfer = attrs.evolve(transfer, state_init=worker.state_init())
            await wallet.send(transfer)
            log.info("paid worker %s its last payout at old proxy contract", owner)
            inst.workers.pop(0)
        else:
            inst.stage = Stage.CLOSING
    elif inst.stage is Stage.CLOSING:
        wait = inst.close_at - await node.ledger.now()
        if wait >= 0:
            await trio.sleep(min(wait + 1, 60))
            return
        payment = signer.proxy_close_complete(contract.address, excess)
        await wallet.send(flows.submit_payment(payment))
        inst.stage = Stage.CLOSED
    await node.write_records({inst.key: inst.record()})


async def _open(node: ProxyNode, address: Address, kind: str) -> bool:
    """Whether the contract at `address` exists and is not closed."""
    state = await node.ledger.get_account(address)
    if not state.active:
        return False
    return (await read_contract(node.ledger, address, kind)).state != 2
