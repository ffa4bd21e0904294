#!/usr/bin/env python3
"""Micro-benchmark of the HTTP and OpenAI building blocks: microseconds per request.

    python scripts/bench_http_blocks.py [--quick]

Sans-IO parts are timed with timeit (best of 5). HTTP round trips use one keep-alive
connection, sequentially, against the fake inference server in this process and, when
`../shared/bench/fast_backend.py` is beside the checkout, against that server in a
subprocess; "client CPU" is this process's CPU time per request (so, for the subprocess
server, the client's own cost).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import time
import timeit
from pathlib import Path

import trio

from cocoon.backends.fake import FakeInferenceConfig, serve_fake_inference
from cocoon.http import HttpClient
from cocoon.http._wire import ResponseReader, encode_chunk
from cocoon.openai import UsageCounter, error_response, parse_client_request, validate_request

ROOT = Path(__file__).resolve().parent.parent
FAST_BACKEND = ROOT.parent / "shared" / "bench" / "fast_backend.py"
MODEL = "Qwen/Qwen3-8B"

# The benchmark's request bodies (shared/bench/chat.lua, chat_stream.lua).
CHAT = (
    b'{"model":"Qwen/Qwen3-8B","messages":[{"role":"user","content":'
    b'"Hello there, how are you today?"}],"max_tokens":100}'
)
CHAT_STREAM = (
    b'{"model":"Qwen/Qwen3-8B","stream":true,"stream_options":{"include_usage":true},'
    b'"messages":[{"role":"user","content":"Hello there, how are you today?"}],"max_tokens":100}'
)


def _answer(n: int = 100) -> bytes:
    """A non-streamed answer as fast_backend.py sends it."""
    words = "".join(f"tok{i} " for i in range(n))
    return json.dumps(
        {
            "id": "chatcmpl-x",
            "object": "chat.completion",
            "created": 1700000000,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": words},
                }
            ],
            "usage": {"prompt_tokens": 12, "completion_tokens": n, "total_tokens": 12 + n},
        }
    ).encode()


def _sse_events(n: int = 100) -> list[bytes]:
    """An SSE stream as fast_backend.py sends it: n token events, usage, [DONE]."""
    events = []
    for i in range(n):
        chunk = {
            "id": "chatcmpl-x",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": MODEL,
            "choices": [{"index": 0, "delta": {"content": f"tok{i} "}, "finish_reason": None}],
        }
        events.append(b"data: " + json.dumps(chunk).encode() + b"\n\n")
    usage = {"prompt_tokens": 12, "completion_tokens": n, "total_tokens": 12 + n}
    final = {"id": "chatcmpl-x", "object": "chat.completion.chunk", "created": 0, "model": MODEL,
             "choices": [], "usage": usage}  # fmt: skip
    events.append(b"data: " + json.dumps(final).encode() + b"\n\n")
    events.append(b"data: [DONE]\n\n")
    return events


def _costs(counts):
    total = counts.prompt + counts.completion
    return {
        "prompt_total_cost": counts.prompt * 20,
        "completion_total_cost": counts.completion * 20,
        "total_cost": total * 20,
        "cocoon_adjusted_tokens": total,
    }


def _us(fn, number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def bench_sans_io(quick: bool) -> list[tuple[str, float]]:
    n = 2000 if quick else 20000
    answer = _answer()
    events = _sse_events()
    stream = b"".join(events)
    chunked = b"".join(encode_chunk(e) for e in events) + b"0\r\n\r\n"
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked

    def usage_json():
        c = UsageCounter("application/json", _costs)
        c.feed(answer)
        c.finish()

    def usage_sse_one_chunk():
        c = UsageCounter("text/event-stream", _costs)
        c.feed(stream)
        c.finish()

    def usage_sse_per_event():
        c = UsageCounter("text/event-stream", _costs)
        for e in events:
            c.feed(e)
        c.finish()

    def dechunk():
        reader = ResponseReader("POST")
        reader.feed(chunked)
        reader.take_body()

    return [
        (
            "validate+rewrite, chat body (stream)",
            _us(lambda: validate_request("/v1/chat/completions", CHAT_STREAM, model=MODEL), n),
        ),
        (
            "validate+rewrite, chat body (no stream)",
            _us(lambda: validate_request("/v1/chat/completions", CHAT, model=MODEL), n),
        ),
        ("client pre-parse, chat body", _us(lambda: parse_client_request(CHAT_STREAM), n)),
        (f"UsageCounter, JSON answer ({len(answer)} B)", _us(usage_json, n)),
        ("UsageCounter, 100-event SSE, one chunk", _us(usage_sse_one_chunk, n // 4)),
        ("UsageCounter, 100-event SSE, chunk per event", _us(usage_sse_per_event, n // 20)),
        ("parse a chunked 100-event SSE response", _us(dechunk, n // 10)),
        (
            "error_response(651, no workers)",
            _us(lambda: error_response(651, "no workers for model Qwen/Qwen3-8B"), n),
        ),
    ]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def _round_trips(port: int, body: bytes, n: int) -> tuple[float, float]:
    headers = [("Content-Type", "application/json")]
    async with HttpClient("127.0.0.1", port) as client:
        for _ in range(min(200, n)):  # warm up
            async with client.request(
                "POST", "/v1/chat/completions", headers=headers, body=body
            ) as r:
                await r.read()
        wall, cpu = time.perf_counter(), _cpu()
        for _ in range(n):
            async with client.request(
                "POST", "/v1/chat/completions", headers=headers, body=body
            ) as r:
                async for _chunk in r.iter_body():
                    pass
        return (time.perf_counter() - wall) / n * 1e6, (_cpu() - cpu) / n * 1e6


async def bench_fake(n: int) -> list[tuple[str, float, float]]:
    out = []
    async with trio.open_nursery() as nursery:
        server = await nursery.start(
            serve_fake_inference, FakeInferenceConfig(model=MODEL, default_max_tokens=100)
        )
        for name, body in (("non-streamed", CHAT), ("streamed", CHAT_STREAM)):
            wall, cpu = await _round_trips(server.port, body, n)
            out.append((f"client+fake server in-process, {name}, 100 tokens", wall, cpu))
        nursery.cancel_scope.cancel()
    return out


def bench_fast_backend(n: int) -> list[tuple[str, float, float]]:
    if not FAST_BACKEND.exists():
        return []
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, str(FAST_BACKEND)], env={**os.environ, "PORT": str(port)}
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    return []
                time.sleep(0.05)
        out = []
        for name, body in (("non-streamed", CHAT), ("streamed", CHAT_STREAM)):
            wall, cpu = trio.run(_round_trips, port, body, n)
            out.append((f"client -> fast_backend.py (subprocess), {name}", wall, cpu))
        return out
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    args = parser.parse_args()
    n = 300 if args.quick else 3000
    print(f"{'sans-IO (best of 5)':<58} {'us/op':>9}")
    for name, us in bench_sans_io(args.quick):
        print(f"  {name:<56} {us:9.1f}")
    print(
        f"\n{'HTTP round trips, 1 connection, sequential':<58} {'wall us':>9} {'client CPU us':>14}"
    )
    rows = trio.run(bench_fake, n) + bench_fast_backend(n)
    for name, wall, cpu in rows:
        print(f"  {name:<56} {wall:9.1f} {cpu:14.1f}")


if __name__ == "__main__":
    main()
