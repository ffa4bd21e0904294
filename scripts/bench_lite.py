#!/usr/bin/env python3
"""Liteserver queries per second over one ADNL connection on loopback (client and the
in-process server in one process, one CPU): a quick look at what the transport costs.

    python scripts/bench_lite.py                 # 4000 getTime queries, 200 at a time
    python scripts/bench_lite.py --queries 20000 --concurrency 50
"""

from __future__ import annotations

import argparse
import os
import time

import trio

from cocoon.ton.lite.adnl import public_key_of
from cocoon.ton.lite.client import ClientOptions, open_lite_client
from cocoon.ton.lite.server import MethodHandler, serve_lite


class TimeHandler(MethodHandler):
    async def get_time(self, query: dict) -> dict:
        return {"@type": "liteServer.currentTime", "now": int(time.time())}


async def run(queries: int, concurrency: int) -> None:
    key = os.urandom(32)
    async with trio.open_nursery() as nursery:
        server = await nursery.start(serve_lite, TimeHandler(), 0, key)
        options = ClientOptions(max_in_flight=concurrency)
        async with open_lite_client(
            "127.0.0.1", server.port, public_key_of(key), options=options
        ) as client:
            await client.get_time()  # connect outside the measurement
            left = queries

            async def worker() -> None:
                nonlocal left
                while left > 0:
                    left -= 1
                    await client.get_time()

            start = time.perf_counter()
            cpu = time.process_time()
            async with trio.open_nursery() as workers:
                for _ in range(concurrency):
                    workers.start_soon(worker)
            wall = time.perf_counter() - start
            cpu = time.process_time() - cpu
        print(
            f"{queries} getTime queries, {concurrency} in flight, one connection:"
            f" {queries / wall:.0f} queries/s, {wall * 1e6 / queries:.0f} us wall and"
            f" {cpu * 1e6 / queries:.0f} us CPU per query (client and server together)"
        )
        nursery.cancel_scope.cancel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=200)
    args = parser.parse_args()
    trio.run(run, args.queries, args.concurrency)


if __name__ == "__main__":
    main()
