"""Writes contracts/tests/vectors/{root,proxy}.json: message sequences built with the project's own
builders (cocoon.ton.bodies, storage, contracts), each step with what the Python contract port
does with it (exit code, new data, outgoing messages). The node tests send the exact same
messages to the compiled FunC in @ton/sandbox and require the same outcome: this proves the FunC
reads what our roles send and agrees with the ports.

Run by hand after changing a layout or a port (output is committed):
    PYTHONPATH=$PWD python contracts/scripts/make_vectors.py
"""

from __future__ import annotations

import base64
import json
import random
from pathlib import Path
from typing import Any

import attrs
from pytoniq_core import Address, Cell, begin_cell

from cocoon.ton import bodies as b
from cocoon.ton.bodies.root import NetAddr
from cocoon.ton.cells import cell_hash, store_address, to_boc
from cocoon.ton.constants import ONE_TON, ExitCode, Op
from cocoon.ton.contracts import ProxyContract
from cocoon.ton.embedded.contracts._common import Port
from cocoon.ton.embedded.contracts.proxy import ProxyPort
from cocoon.ton.embedded.contracts.root import RootPort
from cocoon.ton.embedded.tvm import Context, ContractError, Reserve, Send
from cocoon.ton.errors import CellDecodeError, CellEncodeError
from cocoon.ton.keys import public_key, sign
from cocoon.ton.messages import InternalMessage
from cocoon.ton.params import Params
from cocoon.ton.root import RootConfig
from cocoon.ton.storage import ProxyStorage

OUT = Path(__file__).resolve().parent.parent / "tests" / "vectors"
NOW = 1_700_000_000
SEED = bytes(range(32))  # the proxy's key in these vectors


def addr(n: int) -> Address:
    return Address((0, bytes([n]) * 32))


def code(name: str) -> Cell:
    """A stand-in code cell: addresses only need its hash."""
    return begin_cell().store_bytes(name.encode()).end_cell()


def b64(cell: Cell) -> str:
    return base64.b64encode(to_boc(cell)).decode()


def raw(a: Address) -> str:
    return a.to_str(is_user_friendly=False)


PARAMS = Params(
    params_version=7,
    unique_id=42,
    is_test=True,
    price_per_token=20,
    worker_fee_per_token=15,
    proxy_delay_before_close=3600,
    client_delay_before_close=7200,
    proxy_sc_code=code("proxy"),
    worker_sc_code=code("worker"),
    client_sc_code=code("client"),
)


class Scenario:
    """Runs a port step by step, carrying its data and an approximate TON balance."""

    def __init__(self, name: str, port: Port, address: Address, data: Cell, balance: int) -> None:
        self.name, self.port, self.address = name, port, address
        self.data, self.balance, self.now = data, balance, NOW
        self.start = {"address": raw(address), "data": b64(data), "balance": str(balance)}
        self.steps: list[dict[str, Any]] = []

    def send(
        self,
        what: str,
        sender: Address,
        value: int,
        body: Cell,
        *,
        now: int | None = None,
        bounced: bool = False,
    ) -> int:
        # time only moves forward on a chain: a step without `now` keeps the last one
        now = self.now = self.now if now is None else now
        ctx = Context(
            my_address=self.address,
            my_balance=self.balance + value,
            msg_value=value,
            sender=sender,
            now=now,
            bounced=bounced,
        )
        try:
            new_data = self.port.internal(ctx, body, self.data)
            exit_code = 0
        except ContractError as exc:
            exit_code, new_data = exc.exit_code, None
        except CellDecodeError:  # as the embedded chain maps them
            exit_code, new_data = ExitCode.CELL_UNDERFLOW, None
        except (CellEncodeError, ValueError):
            exit_code, new_data = ExitCode.RANGE_CHECK, None
        out = []
        if exit_code == 0:
            if new_data is not None:
                self.data = new_data
            self.balance += value
            for action in ctx.actions:
                if isinstance(action, Send):
                    msg = action.message
                    if isinstance(msg, Cell):  # a raw message (a body inline, as FunC sends)
                        msg = InternalMessage.from_cell(msg)
                    out.append(
                        {
                            "to": raw(msg.dest),
                            "bounce": msg.bounce,
                            "mode": action.mode,
                            # only a mode-1 send carries exactly the value it names
                            "value": str(msg.value) if action.mode == 1 else None,
                            "body": b64(msg.body),
                        }
                    )
                    if action.mode == 128:
                        self.balance = sum(a.amount for a in ctx.actions if isinstance(a, Reserve))
                    else:
                        self.balance -= msg.value
        self.steps.append(
            {
                "what": what,
                "from": raw(sender),
                "value": str(value),
                "now": now,
                "bounced": bounced,
                "body": b64(body),
                "exit_code": exit_code,
                "data_hash": cell_hash(self.data).hex(),
                "code": None if ctx.new_code is None or exit_code else b64(ctx.new_code),
                "out": out,
            }
        )
        return exit_code

    def dump(self) -> dict[str, Any]:
        return {"name": self.name, **self.start, "steps": self.steps}


def raw_body(op: int, query_id: int, *fields: tuple[int, int]) -> Cell:
    c = begin_cell().store_uint(op, 32).store_uint(query_id, 64)
    for value, bits in fields:
        c.store_uint(value, bits)
    return c.end_cell()


def root_vectors() -> list[dict[str, Any]]:
    owner, stranger, new_owner = addr(1), addr(2), addr(3)
    me = addr(0xA0)
    h1, h2, h3 = bytes([0x11]) * 32, bytes([0x22]) * 32, bytes([0x33]) * 32
    config = RootConfig(owner=owner, params=PARAMS, version=5, last_proxy_seqno=3)
    s = Scenario(
        "root: every op from the owner, then errors", RootPort(), me, config.to_data(), ONE_TON
    )
    v = ONE_TON // 2
    s.send("add_worker_type", owner, v, b.RootAddWorkerType(query_id=1, hash=h1).to_cell())
    s.send("add_model_type", owner, v, b.RootAddModelType(query_id=2, hash=h2).to_cell())
    s.send("add_proxy_type", owner, v, b.RootAddProxyType(query_id=3, hash=h3).to_cell())
    s.send("add_worker_type again", owner, v, b.RootAddWorkerType(query_id=4, hash=h1).to_cell())
    s.send(
        "register_proxy",
        owner,
        v,
        b.RootRegisterProxy(query_id=5, address=NetAddr("1.2.3.4:5678")).to_cell(),
    )
    s.send(
        "register_proxy (two addresses)",
        owner,
        v,
        b.RootRegisterProxy(query_id=6, address=NetAddr("10.0.0.1:1 10.0.0.2:2")).to_cell(),
    )
    s.send(
        "update_proxy",
        owner,
        v,
        b.RootUpdateProxy(query_id=7, seqno=4, address=NetAddr("5.6.7.8:9")).to_cell(),
    )
    s.send(
        "update_proxy of a missing seqno: 2000",
        owner,
        v,
        b.RootUpdateProxy(query_id=8, seqno=99, address=NetAddr("5.6.7.8:9")).to_cell(),
    )
    s.send("unregister_proxy", owner, v, b.RootUnregisterProxy(query_id=9, seqno=5).to_cell())
    s.send(
        "unregister_proxy (absent)",
        owner,
        v,
        b.RootUnregisterProxy(query_id=10, seqno=77).to_cell(),
    )
    s.send("del_worker_type", owner, v, b.RootDelWorkerType(query_id=11, hash=h1).to_cell())
    s.send("del_model_type", owner, v, b.RootDelModelType(query_id=12, hash=h2).to_cell())
    s.send("del_proxy_type", owner, v, b.RootDelProxyType(query_id=13, hash=h3).to_cell())
    s.send("add_model_type", owner, v, b.RootAddModelType(query_id=14, hash=h2).to_cell())
    s.send(
        "change_price",
        owner,
        v,
        b.RootChangePrice(query_id=15, price_per_token=33, worker_fee_per_token=30).to_cell(),
    )
    s.send(
        "change_params",
        owner,
        v,
        b.RootChangeParams(
            query_id=16,
            price_per_token=40,
            worker_fee_per_token=35,
            proxy_delay_before_close=100,
            client_delay_before_close=200,
            min_proxy_stake=3 * ONE_TON,
            min_client_stake=ONE_TON // 2,
        ).to_cell(),
    )
    s.send(
        "upgrade_contracts",
        owner,
        v,
        b.RootUpgradeContracts(
            query_id=17,
            proxy_sc_code=code("proxy2"),
            worker_sc_code=code("worker2"),
            client_sc_code=code("client2"),
        ).to_cell(),
    )
    s.send(
        "not from the owner: 1010", stranger, v, b.RootAddWorkerType(query_id=18, hash=h1).to_cell()
    )
    s.send("unknown op: 1012", owner, v, raw_body(0x12345678, 19))
    s.send(
        "NetAddr of type 1: 1004", owner, v, raw_body(Op.ROOT_REGISTER_PROXY, 20, (1, 1), (0, 7))
    )
    s.send("extra bits: 9", owner, v, raw_body(Op.ROOT_ADD_WORKER_TYPE, 21, (5, 256), (1, 1)))
    s.send("do_not_process", stranger, v, raw_body(Op.DO_NOT_PROCESS, 22))
    s.send(
        "bounced message ignored",
        owner,
        v,
        b.RootAddWorkerType(query_id=23, hash=h3).to_cell(),
        bounced=True,
    )
    s.send("reset", owner, v, b.RootReset(query_id=24).to_cell())
    s.send("change_owner", owner, v, b.RootChangeOwner(query_id=25, owner=new_owner).to_cell())
    s.send("old owner: 1010", owner, v, b.RootAddWorkerType(query_id=26, hash=h1).to_cell())
    s.send("new owner", new_owner, v, b.RootAddWorkerType(query_id=27, hash=h1).to_cell())
    s.send(
        "register after reset keeps the seqno",
        new_owner,
        v,
        b.RootRegisterProxy(query_id=28, address=NetAddr("9.9.9.9:1")).to_cell(),
    )
    s.send(
        "upgrade (code only)",
        new_owner,
        v,
        b.RootUpgrade(query_id=29, code=code("root2")).to_cell(),
    )

    full = Scenario("root: upgrade_full", RootPort(), me, config.to_data(), ONE_TON)
    new_data = attrs.evolve(config, version=100, owner=stranger).to_data()
    full.send(
        "upgrade_full",
        owner,
        v,
        b.RootUpgradeFull(query_id=1, data=new_data, code=code("root3")).to_cell(),
    )

    old = RootConfig(owner=owner, params=attrs.evolve(PARAMS, struct_version=2))
    v2 = Scenario("root: params of another struct_version", RootPort(), me, old.to_data(), ONE_TON)
    v2.send(
        "change_price: 1008",
        owner,
        v,
        b.RootChangePrice(query_id=1, price_per_token=1, worker_fee_per_token=1).to_cell(),
    )
    v2.send("hash ops still work", owner, v, b.RootAddWorkerType(query_id=2, hash=h1).to_cell())
    return [s.dump(), full.dump(), v2.dump(), root_random_walk()]


def root_random_walk() -> dict[str, Any]:
    """A seeded random sequence of root messages, from the owner and from strangers."""
    rng = random.Random(14)
    owner, stranger, me = addr(1), addr(2), addr(0xA0)
    config = RootConfig(owner=owner, params=PARAMS, version=5, last_proxy_seqno=3)
    w = Scenario("root: random walk (seed 14)", RootPort(), me, config.to_data(), ONE_TON)
    hashes = [bytes([n]) * 32 for n in range(1, 5)]
    hash_ops = [
        b.RootAddWorkerType,
        b.RootDelWorkerType,
        b.RootAddModelType,
        b.RootDelModelType,
        b.RootAddProxyType,
        b.RootDelProxyType,
    ]
    for i in range(80):
        sender = owner if rng.random() < 0.9 else stranger
        pick = rng.randrange(10)
        host = NetAddr(f"10.0.0.{rng.randrange(256)}:{rng.randrange(1, 65536)}")
        if pick < 4:
            body = rng.choice(hash_ops)(query_id=i, hash=rng.choice(hashes)).to_cell()
        elif pick < 6:
            body = b.RootRegisterProxy(query_id=i, address=host).to_cell()
        elif pick == 6:
            body = b.RootUnregisterProxy(query_id=i, seqno=rng.randrange(1, 12)).to_cell()
        elif pick == 7:
            body = b.RootUpdateProxy(query_id=i, seqno=rng.randrange(1, 12), address=host).to_cell()
        elif pick == 8:
            body = b.RootChangePrice(
                query_id=i,
                price_per_token=rng.randrange(1 << 40),
                worker_fee_per_token=rng.randrange(1 << 40),
            ).to_cell()
        else:
            body = b.RootChangeParams(
                query_id=i,
                price_per_token=rng.randrange(1 << 40),
                worker_fee_per_token=rng.randrange(1 << 40),
                proxy_delay_before_close=rng.randrange(1 << 32),
                client_delay_before_close=rng.randrange(1 << 32),
                min_proxy_stake=rng.randrange(1 << 64),
                min_client_stake=rng.randrange(1 << 64),
            ).to_cell()
        w.send(f"{i} {body_name(body)}", sender, ONE_TON // 5, body)
    return w.dump()


def body_name(body: Cell) -> str:
    return Op(body.begin_parse().load_uint(32)).name.lower()


def proxy_vectors() -> list[dict[str, Any]]:
    owner, stranger, root = addr(1), addr(2), addr(0xA0)
    client_owner, worker_owner, excess = addr(4), addr(5), addr(6)
    contract = ProxyContract(owner=owner, public_key=public_key(SEED), root=root, params=PARAMS)
    me = contract.address
    client, worker = contract.client(client_owner).address, contract.worker(worker_owner).address
    state = b.ClientStateCell(
        state=0, balance=0, stake=ONE_TON, tokens_used=0, secret_hash=bytes(32)
    )

    def with_payload(op: int, qid: int, owner: Address, middle: Cell | int, payload: Cell) -> Cell:
        # a notification with a payload our builders refuse to make (an unknown op)
        c = begin_cell().store_uint(op, 32).store_uint(qid, 64)
        store_address(c, owner)
        if isinstance(middle, Cell):
            c.store_ref(middle)
        else:
            c.store_uint(middle, 66)
        return c.store_bit(1).store_ref(payload).end_cell()

    def from_client(qid: int, payload: b.Body | None) -> Cell:
        return b.ClientProxyRequest(
            query_id=qid, client_owner=client_owner, state=state, payload=payload
        ).to_cell()

    def from_worker(qid: int, payload: b.Body | None) -> Cell:
        return b.WorkerProxyRequest(
            query_id=qid, worker_owner=worker_owner, state=0, tokens=10, payload=payload
        ).to_cell()

    def signed(
        kind: type[b.SignedBody],
        qid: int,
        *,
        to: Address = me,
        seed: bytes = SEED,
        payload_qid: int | None = None,
    ) -> Cell:
        payload = b.AddressPayload(
            op=kind.OP, query_id=qid if payload_qid is None else payload_qid, address=to
        ).to_cell()
        return kind(
            query_id=qid,
            send_excesses_to=excess,
            signature=sign(seed, cell_hash(payload)),
            payload=payload,
        ).to_cell()

    T = ONE_TON
    s = Scenario("proxy: life cycle", ProxyPort(), me, contract.initial_storage().to_cell(), 10 * T)
    s.send("client notification (no payload)", stranger, T // 10, from_client(1, None))
    s.send(
        "client top-up",
        client,
        2 * T,
        from_client(2, b.ClientProxyTopUp(coins=T, send_excesses_to=excess)),
    )
    s.send(
        "top-up from a foreign sender: 1014",
        stranger,
        2 * T,
        from_client(3, b.ClientProxyTopUp(coins=T, send_excesses_to=excess)),
    )
    s.send(
        "client register (nonce)",
        client,
        T // 10,
        from_client(4, b.ClientProxyRegister(nonce=12345)),
    )
    s.send(
        "refund granted",
        client,
        T // 5,
        from_client(5, b.ClientProxyRefundGranted(coins=T // 2, send_excesses_to=excess)),
    )
    s.send(
        "unknown client payload: 1012",
        client,
        T // 5,
        with_payload(
            Op.CLIENT_PROXY_REQUEST, 6, client_owner, state.to_cell(), raw_body(0x0BADC0DE, 1)
        ),
    )
    s.send("worker notification (no payload)", stranger, T // 10, from_worker(7, None))
    payout = b.WorkerProxyPayoutRequest(
        coins_to_pay=3 * T // 10, coins_to_save=T // 10, send_excesses_to=excess
    )
    s.send("worker payout", worker, T // 5, from_worker(8, payout))
    s.send("worker payout from a foreign sender: 1014", stranger, T // 5, from_worker(9, payout))
    s.send(
        "worker payload with another op: 1012",
        worker,
        T // 5,
        with_payload(
            Op.WORKER_PROXY_REQUEST,
            10,
            worker_owner,
            10,
            b.ClientProxyTopUp(coins=1, send_excesses_to=excess).to_cell(),
        ),
    )
    s.send(
        "payout request below 0.1 TON: 1003",
        stranger,
        T // 20,
        b.ExtProxyPayoutRequest(query_id=11, send_excesses_to=excess).to_cell(),
    )
    s.send(
        "payout request (anyone)",
        stranger,
        T // 5,
        b.ExtProxyPayoutRequest(query_id=12, send_excesses_to=excess).to_cell(),
    )
    s.send(
        "increase stake, value short: 1003",
        stranger,
        2 * T,
        b.ExtProxyIncreaseStake(query_id=13, grams=2 * T, send_excesses_to=excess).to_cell(),
    )
    s.send(
        "increase stake",
        stranger,
        23 * T // 10,
        b.ExtProxyIncreaseStake(query_id=14, grams=2 * T, send_excesses_to=excess).to_cell(),
    )
    s.send(
        "refund force (capped by the stake)",
        client,
        T // 5,
        from_client(15, b.ClientProxyRefundForce(coins=5 * T, send_excesses_to=excess)),
    )
    s.send("worker payout again", worker, T // 5, from_worker(16, payout))
    s.send("text w from a stranger: 1010", stranger, T // 5, b.TextCommand.of("w").to_cell())
    s.send("text w below 0.1 TON: 1003", owner, T // 20, b.TextCommand.of("w").to_cell())
    s.send("text w (withdraw)", owner, T // 5, b.TextCommand.of("w").to_cell())
    s.send("text x: 1013", owner, T // 5, b.TextCommand.of("x").to_cell())
    s.send("unknown op: 1012", owner, T // 5, raw_body(0x0BADC0DE, 17))
    s.send(
        "do_not_process (state commit)",
        owner,
        T // 10,
        raw_body(Op.DO_NOT_PROCESS, 18, (Op.PROXY_SAVE_STATE, 32)),
    )
    s.send("bounced message ignored", owner, T // 5, b.TextCommand.of("c").to_cell(), bounced=True)
    close = b.ProxyCloseRequestSigned
    complete = b.ProxyCloseCompleteSigned
    s.send(
        "close request, bad signature: 1007", stranger, T // 5, signed(close, 19, seed=bytes(32))
    )
    s.send(
        "close request, payload query_id differs: 1005",
        stranger,
        T // 5,
        signed(close, 20, payload_qid=21),
    )
    s.send(
        "close request for another proxy: 1015", stranger, T // 5, signed(close, 22, to=stranger)
    )
    s.send("close request below 0.1 TON: 1003", stranger, T // 20, signed(close, 23))
    s.send("close complete while normal: 1006", stranger, T // 5, signed(complete, 24))
    s.send("close request", stranger, T // 5, signed(close, 25))
    s.send("close request again: 1006", stranger, T // 5, signed(close, 26))
    s.send(
        "top-up while closing is paid back",
        client,
        2 * T,
        from_client(27, b.ClientProxyTopUp(coins=T, send_excesses_to=excess)),
    )
    s.send(
        "close complete before unlock: 1011", stranger, T // 5, signed(complete, 28), now=NOW + 3599
    )
    s.send("close complete", stranger, T // 5, signed(complete, 29), now=NOW + 3600)
    s.send(
        "payout request when closed: 1006",
        stranger,
        T // 5,
        b.ExtProxyPayoutRequest(query_id=30, send_excesses_to=excess).to_cell(),
    )
    s.send("worker payout when closed: 1006", worker, T // 5, from_worker(31, payout))
    s.send(
        "refund when closed: 1006",
        client,
        T // 5,
        from_client(32, b.ClientProxyRefundGranted(coins=1, send_excesses_to=excess)),
    )
    s.send(
        "increase stake when closed: 1006",
        stranger,
        T // 2,
        b.ExtProxyIncreaseStake(query_id=33, grams=1, send_excesses_to=excess).to_cell(),
    )
    s.send("text w when closed: 1006", owner, T // 5, b.TextCommand.of("w").to_cell())

    c = Scenario(
        "proxy: owner close", ProxyPort(), me, contract.initial_storage().to_cell(), 10 * T
    )
    c.send(
        "owner close from a stranger: 1010",
        stranger,
        T // 5,
        b.OwnerProxyClose(query_id=1, send_excesses_to=excess).to_cell(),
    )
    c.send(
        "owner close below 0.1 TON: 1003",
        owner,
        T // 20,
        b.OwnerProxyClose(query_id=2, send_excesses_to=excess).to_cell(),
    )
    c.send(
        "owner close",
        owner,
        T // 5,
        b.OwnerProxyClose(query_id=3, send_excesses_to=excess).to_cell(),
    )
    c.send(
        "owner close again: 1006",
        owner,
        T // 5,
        b.OwnerProxyClose(query_id=4, send_excesses_to=excess).to_cell(),
    )
    c.send("text c when closing: 1006", owner, T // 5, b.TextCommand.of("c").to_cell())
    c.send("text w while closing", owner, T // 5, b.TextCommand.of("w").to_cell())

    t = Scenario("proxy: text close", ProxyPort(), me, contract.initial_storage().to_cell(), 10 * T)
    t.send("text c from a stranger: 1010", stranger, T // 5, b.TextCommand.of("c").to_cell())
    t.send("text c", owner, T // 5, b.TextCommand.of("c").to_cell())
    t.send("close complete", stranger, T // 5, signed(complete, 5), now=NOW + 3600)

    old_params = attrs.evolve(
        contract.initial_storage(),
        params=attrs.evolve(contract.initial_storage().params, struct_version=2),
    )
    d = Scenario(
        "proxy: params of another struct_version", ProxyPort(), me, old_params.to_cell(), 10 * T
    )
    d.send("worker payout: 1008", worker, T // 5, from_worker(1, payout))
    d.send(
        "owner close: 1008",
        owner,
        T // 5,
        b.OwnerProxyClose(query_id=2, send_excesses_to=excess).to_cell(),
    )
    d.send(
        "payout request still works",
        stranger,
        T // 5,
        b.ExtProxyPayoutRequest(query_id=3, send_excesses_to=excess).to_cell(),
    )
    assert isinstance(ProxyStorage.from_cell(s.data), ProxyStorage)
    return [s.dump(), c.dump(), t.dump(), d.dump(), random_walk()]


def random_walk() -> dict[str, Any]:
    """A seeded random sequence of proxy messages, right and wrong, through every state. Values
    stay far from any balance boundary, so fees (which the ports do not model) cannot change an
    outcome."""
    rng = random.Random(14)
    T = ONE_TON
    owner, stranger, root = addr(1), addr(2), addr(0xA0)
    client_owner, worker_owner, excess = addr(4), addr(5), addr(6)
    contract = ProxyContract(owner=owner, public_key=public_key(SEED), root=root, params=PARAMS)
    me = contract.address
    client, worker = contract.client(client_owner).address, contract.worker(worker_owner).address
    state = b.ClientStateCell(state=0, balance=0, stake=T, tokens_used=0, secret_hash=bytes(32))
    w = Scenario(
        "proxy: random walk (seed 14)",
        ProxyPort(),
        me,
        contract.initial_storage().to_cell(),
        100 * T,
    )

    def coins() -> int:
        return rng.randrange(0, T)

    def who(right: Address) -> Address:
        return right if rng.random() < 0.85 else stranger

    def value(needed: int) -> int:
        return needed + (T // 5 if rng.random() < 0.9 else T // 20)

    def client_msg(payload: b.Body) -> Cell:
        return b.ClientProxyRequest(
            query_id=rng.randrange(1 << 64), client_owner=client_owner, state=state, payload=payload
        ).to_cell()

    def signed(kind: type[b.SignedBody]) -> Cell:
        qid = rng.randrange(1 << 64)
        payload = b.AddressPayload(op=kind.OP, query_id=qid, address=me).to_cell()
        return kind(
            query_id=qid,
            send_excesses_to=excess,
            signature=sign(SEED, cell_hash(payload)),
            payload=payload,
        ).to_cell()

    for i in range(120):
        kind = rng.choice(
            ["top_up"] * 4
            + ["refund", "force", "register", "worker"] * 2
            + ["payout", "stake", "text_w", "note", "complete"]
        )
        if i == 70:  # the second part runs while closing, then closed
            kind = "close"
        elif i > 70 and rng.random() < 0.15:
            kind = "complete"
        now = w.now + rng.randrange(0, 1200)
        if kind == "top_up":
            n = coins()
            body = client_msg(b.ClientProxyTopUp(coins=n, send_excesses_to=excess))
            w.send(f"{i} top-up", who(client), value(n), body, now=now)
        elif kind in ("refund", "force"):
            cls = b.ClientProxyRefundGranted if kind == "refund" else b.ClientProxyRefundForce
            body = client_msg(cls(coins=coins() // 10, send_excesses_to=excess))
            w.send(f"{i} {kind}", who(client), value(0), body, now=now)
        elif kind == "register":
            body = client_msg(b.ClientProxyRegister(nonce=rng.randrange(1 << 64)))
            w.send(f"{i} register", who(client), value(0), body, now=now)
        elif kind == "worker":
            payload = b.WorkerProxyPayoutRequest(
                coins_to_pay=coins() // 10, coins_to_save=coins() // 10, send_excesses_to=excess
            )
            body = b.WorkerProxyRequest(
                query_id=rng.randrange(1 << 64),
                worker_owner=worker_owner,
                state=0,
                tokens=rng.randrange(1 << 64),
                payload=payload,
            ).to_cell()
            w.send(f"{i} worker payout", who(worker), value(0), body, now=now)
        elif kind == "payout":
            body = b.ExtProxyPayoutRequest(query_id=i, send_excesses_to=excess).to_cell()
            w.send(f"{i} payout request", stranger, value(0), body, now=now)
        elif kind == "stake":
            n = coins()
            body = b.ExtProxyIncreaseStake(query_id=i, grams=n, send_excesses_to=excess).to_cell()
            w.send(f"{i} increase stake", stranger, value(n), body, now=now)
        elif kind == "text_w":
            w.send(f"{i} text w", who(owner), value(0), b.TextCommand.of("w").to_cell(), now=now)
        elif kind == "note":
            body = (
                client_msg(None)
                if rng.random() < 0.5
                else b.WorkerProxyRequest(
                    query_id=i, worker_owner=worker_owner, state=0, tokens=i, payload=None
                ).to_cell()
            )
            w.send(f"{i} notification", stranger, value(0), body, now=now)
        elif kind == "close":
            w.send(
                f"{i} close request", stranger, value(0), signed(b.ProxyCloseRequestSigned), now=now
            )
        elif kind == "complete":
            w.send(
                f"{i} close complete",
                stranger,
                value(0),
                signed(b.ProxyCloseCompleteSigned),
                now=now,
            )
    return w.dump()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, vectors in (("root", root_vectors()), ("proxy", proxy_vectors())):
        path = OUT / f"{name}.json"
        path.write_text(json.dumps(vectors, indent=1) + "\n")
        steps = sum(len(v["steps"]) for v in vectors)
        print(f"{path}: {len(vectors)} scenarios, {steps} steps")


if __name__ == "__main__":
    main()
