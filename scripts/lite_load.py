#!/usr/bin/env python3
"""What a public liteserver sees from COCOON's roles (issue 15): queries per second per role,
at idle and under load. A benchmark, not a test.

    python scripts/lite_load.py                    # 20 s idle, 20 s of load, 8 requests at once
    python scripts/lite_load.py --idle 60 --load 60 --concurrency 32 --settle-often
    python scripts/lite_load.py --trust 2          # trust stage 2: heads proven by signatures

A whole network (`cocoon network --ledger lite`: proxy, workers and clients in one process)
runs with every role on a proof-checking `LiteLedger` of its own, reaching the embedded chain
only through two fake liteservers of its own over ADNL on loopback; the queries are counted at
those servers, by role and lite_api function. The head advances every `--block-interval` seconds
(default 5, about TON's masterchain) and also at once on every change of the chain (TON takes
a block's time to include a message, so a real liteserver sees somewhat fewer blocks under
load). `waitMasterchainSeqno` is a prefix held by the server until a
block comes, not a query of its own: it is shown apart. Bytes are those of the servers'
answers (ADNL payloads, before encryption); the fake chain has a few validators where mainnet
has hundreds, so its `getBlockProof` answers are far smaller than mainnet's (about 40 kB).

The roles run with their own default timers (`--test-timers`: the local network's quick
ones). `--settle-often` sets the charge and payout thresholds to 1 nano-TON, so every request moves
money on chain (the worst case); by default the network's thresholds (0.01 TON) apply.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

import trio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cocoon.backends.fake import FakeInferenceConfig
from cocoon.network import NetworkConfig, open_network
from cocoon.roles.proxy.config import ProxyConfig
from cocoon.roles.worker.config import WorkerConfig
from cocoon.ton.constants import ONE_TON
from cocoon.ton.lite import localnet
from cocoon.ton.lite.ledger import TRUST_AGREEMENT, TRUST_KEY_BLOCKS
from tests.roles.netutil import chat_body, run_request

PREFIX = "liteServer.waitMasterchainSeqno"
Counts = dict[str, collections.Counter[str]]


def _diff(after: Counts, before: Counts) -> Counts:
    return {role: c - before.get(role, collections.Counter()) for role, c in after.items()}


def _queries(c: collections.Counter[str]) -> int:
    return sum(n for f, n in c.items() if f != PREFIX)


def _top(c: collections.Counter[str], n: int = 4) -> str:
    items = [(f, k) for f, k in c.most_common() if f != PREFIX][:n]
    return ", ".join(f"{f.removeprefix('liteServer.')} {k}" for f, k in items)


def _kb(c: collections.Counter[str]) -> float:
    return sum(c.values()) / 1000


def _table(
    idle: Counts,
    idle_s: float,
    load: Counts,
    load_s: float,
    requests: int,
    idle_bytes: Counts,
    load_bytes: Counts,
) -> str:
    lines = [
        f"{'role':10} {'idle q/s':>9} {'load q/s':>9} {'waits/s idle':>13} {'waits/s load':>13}"
        f" {'idle kB/s':>10} {'load kB/s':>10}",
    ]
    roles = sorted(set(idle) | set(load))
    empty: collections.Counter[str] = collections.Counter()
    for role in roles:
        i, w = idle.get(role, empty), load.get(role, empty)
        ib, wb = idle_bytes.get(role, empty), load_bytes.get(role, empty)
        lines.append(
            f"{role:10} {_queries(i) / idle_s:9.2f} {_queries(w) / load_s:9.2f}"
            f" {i[PREFIX] / idle_s:13.2f} {w[PREFIX] / load_s:13.2f}"
            f" {_kb(ib) / idle_s:10.2f} {_kb(wb) / load_s:10.2f}"
        )
    total_i = sum(_queries(c) for c in idle.values())
    total_w = sum(_queries(c) for c in load.values())
    kb_i = sum(_kb(c) for c in idle_bytes.values())
    kb_w = sum(_kb(c) for c in load_bytes.values())
    lines.append(
        f"{'all':10} {total_i / idle_s:9.2f} {total_w / load_s:9.2f} {'':13} {'':13}"
        f" {kb_i / idle_s:10.2f} {kb_w / load_s:10.2f}"
    )
    lines.append(
        f"idle: {total_i} queries, {kb_i:.1f} kB in {idle_s:.1f} s; "
        f"load: {total_w} queries, {kb_w:.1f} kB in {load_s:.1f} s"
    )
    lines.append(
        f"load: {requests} requests in {load_s:.1f} s ({requests / load_s:.1f}/s); "
        f"queries per request {total_w / max(requests, 1):.2f}"
    )
    lines.append("most asked (function: count), idle | load:")
    for role in roles:
        i, w = idle.get(role, empty), load.get(role, empty)
        lines.append(f"  {role:10} {_top(i) or '-'} | {_top(w) or '-'}")
    lines.append("most bytes (function: kB), idle | load:")
    for role in roles:
        i, w = idle_bytes.get(role, empty), load_bytes.get(role, empty)
        lines.append(f"  {role:10} {_top_kb(i) or '-'} | {_top_kb(w) or '-'}")
    return "\n".join(lines)


def _top_kb(c: collections.Counter[str], n: int = 3) -> str:
    return ", ".join(f"{f.removeprefix('liteServer.')} {k / 1000:.1f}" for f, k in c.most_common(n))


async def main(args: argparse.Namespace) -> None:
    thresholds = {}
    if args.settle_often:
        thresholds = {"min_client_charge": 1, "min_worker_payout": 1}
    timers = {}
    if not args.test_timers:
        # The roles' own defaults (a proxy commits its state every 45 s, nodes poll payments
        # every 15 s), not the quick ones the local network uses to show payments at once.
        timers = {
            "state_commit_interval": ProxyConfig.__attrs_attrs__.state_commit_interval.default,
            "payments_interval": ProxyConfig.__attrs_attrs__.payments_interval.default,
            "payment_poll_interval": WorkerConfig.__attrs_attrs__.payment_poll_interval.default,
        }
    config = NetworkConfig(
        client_http=False,
        **timers,
        workers=args.workers,
        clients=args.clients,
        ledger="lite",
        inference=FakeInferenceConfig(token_delay=0.001),
        wallet_funds=1000 * ONE_TON,
        **thresholds,
    )
    localnet.BLOCK_INTERVAL = args.block_interval
    localnet.TRUST = TRUST_KEY_BLOCKS if args.trust == 2 else TRUST_AGREEMENT
    localnet.MAX_HEAD_AGE = args.max_head_age
    async with open_network(config) as net:
        assert net.lite is not None
        print(f"network ready; measuring idle for {args.idle:g} s ...", flush=True)
        await trio.sleep(2)  # let start-up reads settle
        before = net.lite.queries_by_role()
        before_bytes = net.lite.answer_bytes_by_role()
        start = time.monotonic()
        await trio.sleep(args.idle)
        idle_s = time.monotonic() - start
        idle = _diff(net.lite.queries_by_role(), before)
        idle_bytes = _diff(net.lite.answer_bytes_by_role(), before_bytes)

        print(f"load: {args.concurrency} requests at once for {args.load:g} s ...", flush=True)
        done = 0
        before = net.lite.queries_by_role()
        before_bytes = net.lite.answer_bytes_by_role()
        start = time.monotonic()
        deadline = trio.current_time() + args.load

        async def loop(i: int) -> None:
            nonlocal done
            node = net.clients[i % len(net.clients)].node
            while trio.current_time() < deadline:
                out = await run_request(node, chat_body(max_tokens=args.tokens))
                if out.failed is None:
                    done += 1

        async with trio.open_nursery() as nursery:
            for i in range(args.concurrency):
                nursery.start_soon(loop, i)
        load_s = time.monotonic() - start
        load = _diff(net.lite.queries_by_role(), before)
        load_bytes = _diff(net.lite.answer_bytes_by_role(), before_bytes)
        head = net.lite.producer.head.id.seqno
        age = f", max_head_age {args.max_head_age:g} s"
        print(
            f"\nliteserver queries per role (trust stage {args.trust}{age}, head at block {head}):"
        )
        print(_table(idle, idle_s, load, load_s, done, idle_bytes, load_bytes))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--idle", type=float, default=20.0, help="seconds at idle")
    parser.add_argument("--load", type=float, default=20.0, help="seconds under load")
    parser.add_argument("--concurrency", type=int, default=8, help="requests at once")
    parser.add_argument("--tokens", type=int, default=32, help="completion tokens a request")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument(
        "--block-interval",
        type=float,
        default=5.0,
        help="seconds between masterchain blocks when nothing changes (TON: about 5)",
    )
    parser.add_argument(
        "--trust",
        type=int,
        choices=(1, 2),
        default=1,
        help="the roles' trust stage: 1, two liteservers agreeing; 2, validator signatures",
    )
    parser.add_argument(
        "--max-head-age",
        type=float,
        default=localnet.MAX_HEAD_AGE,
        help="seconds a read may use a trusted head before it is refreshed (default: the "
        "local network's %(default)g; LiteLedgerOptions' default is 5)",
    )
    parser.add_argument("--settle-often", action="store_true", help="1-nano thresholds")
    parser.add_argument(
        "--test-timers",
        action="store_true",
        help="the local network's quick commit and poll intervals instead of the roles' defaults",
    )
    trio.run(main, parser.parse_args())
