"""CPU per query round trip over a real RA-TLS session pair (both ends in this process).

    PYTHONPATH=$PWD python scripts/bench_session_rtt.py [QUERIES_PER_ROUND] [ROUNDS] [CONCURRENCY]

Two connections are open at once: one whose sessions send directly whenever their writer is
idle (`Session._send_now`, with `direct_send_gap` 0: queries here follow each other closer
than its default, which would send them through the writer), one with that path switched off
(every message through the writer task, as before). Rounds alternate between them, so both
see the same machine load; the best round of each is printed (time.process_time per query,
both ends included).
"""

from __future__ import annotations

import sys
import time

import trio

from cocoon import tl
from cocoon.net.session import Role, Session, open_session, serve_session
from cocoon.ratls.connect import open_ratls_stream, serve_ratls
from cocoon.ratls.identity import Identity
from cocoon.ratls.policy import builtin_policies

ANY = builtin_policies()["any"]


class Echo:
    """Answers every query with the query itself; on a connection named in `writer_ports`
    it switches the direct path off first, on the others the gap."""

    def __init__(self, port: int, writer_ports: set[int]) -> None:
        self.port = port
        self.writer_ports = writer_ports

    async def on_query(self, session: Session, query: tl.TLObject) -> tl.TLObject:
        if self.port in self.writer_ports:
            session._stream_send_nowait = None
        else:
            session._direct_send_gap = 0.0
        return query

    async def on_packet(self, session: Session, packet: tl.TLObject) -> None:
        pass


async def main(per_round: int, rounds: int, concurrency: int) -> None:
    server_id, client_id = Identity.generate("none"), Identity.generate("none")
    writer_ports: set[int] = set()

    async def handler(stream: trio.abc.Stream) -> None:
        port = stream.transport.socket.getpeername()[1]
        await serve_session(stream, role=Role.ACCEPTOR, handler=Echo(port, writer_ports))

    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(
            lambda task_status: serve_ratls(
                handler, 0, server_id, ANY, difficulty=1, task_status=task_status
            )
        )
        port = listeners[0].socket.getsockname()[1]
        query = tl.ClientGetWorkerTypesV2()
        results: dict[str, list[float]] = {"direct": [], "writer": []}
        streams = {}
        for kind in ("direct", "writer"):
            streams[kind] = await open_ratls_stream("127.0.0.1", port, client_id, ANY)
            if kind == "writer":
                writer_ports.add(streams[kind].transport.socket.getsockname()[1])
        async with (
            open_session(streams["direct"], role=Role.DIALER) as direct,
            open_session(streams["writer"], role=Role.DIALER) as writer,
        ):
            writer._stream_send_nowait = None
            direct._direct_send_gap = 0.0
            sessions = {"direct": direct, "writer": writer}
            for s in sessions.values():  # warm up (the server side switches off here)
                for _ in range(50):
                    await s.query(query, timeout=10)

            async def queries(session: Session, n: int) -> None:
                for _ in range(n):
                    await session.query(query, timeout=10)

            for _ in range(rounds):
                for kind, s in sessions.items():
                    t0 = time.process_time()
                    async with trio.open_nursery() as tasks:
                        for _ in range(concurrency):
                            tasks.start_soon(queries, s, per_round // concurrency)
                    results[kind].append((time.process_time() - t0) / per_round)
        nursery.cancel_scope.cancel()
    for kind, times in results.items():
        times.sort()
        print(
            f"{kind:7s}: best {1e6 * times[0]:6.1f} us/query, median "
            f"{1e6 * times[len(times) // 2]:6.1f} us/query ({rounds} rounds of {per_round}, "
            f"{concurrency} at once)"
        )


if __name__ == "__main__":
    trio.run(
        main,
        int(sys.argv[1]) if len(sys.argv) > 1 else 2000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 7,
        int(sys.argv[3]) if len(sys.argv) > 3 else 1,
    )
