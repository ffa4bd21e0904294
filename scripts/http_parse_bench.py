#!/usr/bin/env python3
"""Micro-benchmark of HTTP/1.1 parsing: llhttp (httptools, what `cocoon.http._wire` uses)
against h11, in microseconds per message, plus a round trip through our server and client.

    python scripts/http_parse_bench.py [--quick] [--old REV]

`--old REV` also times the hand-written parser as it was at git revision REV (the last one
with it: 00069e2). Figures are relative: run them side by side on one machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import timeit
import types
from functools import partial
from pathlib import Path

import h11
import trio

from cocoon.http import HttpClient, serve_http
from cocoon.http._wire import RequestReader, ResponseReader, encode_chunk

ROOT = Path(__file__).resolve().parent.parent

BODY = (
    b'{"model":"Qwen/Qwen3-8B","stream":true,"messages":[{"role":"user","content":'
    b'"Hello there, how are you today?"}],"max_tokens":100}'
)
HEAD = (
    b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"
    b"User-Agent: OpenAI/Python 1.40.0\r\nAccept: application/json\r\n"
    b"Content-Type: application/json\r\nAuthorization: Bearer sk-local\r\n"
    b"X-Stainless-Lang: python\r\nX-Stainless-Retry-Count: 0\r\n"
)
PLAIN = HEAD + b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY
CHUNKED = HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + encode_chunk(BODY) + b"0\r\n\r\n"
EVENTS = [
    b"data: "
    + json.dumps(
        {
            "id": "chatcmpl-x",
            "object": "chat.completion.chunk",
            "model": "Qwen/Qwen3-8B",
            "choices": [{"index": 0, "delta": {"content": f"tok{i} "}, "finish_reason": None}],
        }
    ).encode()
    + b"\n\n"
    for i in range(100)
]
SSE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ndate: Sun, 06 Dec 2026 19:00:00 GMT"
    b"\r\nserver: uvicorn\r\ntransfer-encoding: chunked\r\n\r\n"
    + b"".join(encode_chunk(e) for e in EVENTS)
    + b"0\r\n\r\n"
)
JSON_ANSWER = b'{"id":"chatcmpl-x","choices":[{"message":{"content":"' + b"tok " * 100 + b'"}}]}'
RESPONSE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nserver: uvicorn\r\n"
    b"content-length: %d\r\n\r\n" % len(JSON_ANSWER) + JSON_ANSWER
)


def _us(fn, number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


# -- llhttp through our readers -------------------------------------------------------


_CONNECTION = RequestReader()  # the server keeps one per connection


def llhttp_request(data: bytes) -> None:
    reader = _CONNECTION
    reader.feed(data)
    assert reader.next_request() is not None


def llhttp_response(data: bytes, pieces: list[bytes] | None = None) -> None:
    reader = ResponseReader("POST")
    for piece in pieces or [data]:
        reader.feed(piece)
        reader.take_body()
    assert reader.complete


# -- h11 ------------------------------------------------------------------------------


def h11_request(data: bytes) -> None:
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(data)
    while type(conn.next_event()) is not h11.EndOfMessage:
        pass


def h11_response(data: bytes, pieces: list[bytes] | None = None) -> None:
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="POST", target="/", headers=[("Host", "x")]))
    for piece in pieces or [data]:
        conn.receive_data(piece)
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA or type(event) is h11.EndOfMessage:
                break


# -- the hand-written parser, from git ---------------------------------------------------


def load_old(rev: str) -> types.ModuleType:
    source = subprocess.run(
        ["git", "show", f"{rev}:cocoon/http/_wire.py"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    module = types.ModuleType("old_wire")
    exec(compile(source, "old_wire.py", "exec"), module.__dict__)
    return module


def old_request(old: types.ModuleType, data: bytes) -> None:
    end = old.find_head_end(data, old.MAX_HEAD_SIZE)
    _method, _target, version, headers = old.parse_request_head(data[:end])
    framing = old.BodyFraming(headers, version)
    if framing.chunked:
        old.ChunkedDecoder().feed(data[end:])


def old_response(old: types.ModuleType, data: bytes, pieces: list[bytes] | None = None) -> None:
    end = old.find_head_end(data, old.MAX_HEAD_SIZE)
    version, _status, _reason, headers = old.parse_response_head(data[:end])
    framing = old.BodyFraming(headers, version)
    decoder = old.ChunkedDecoder() if framing.chunked else None
    if decoder is not None:
        rest = data[end:]
        for piece in pieces or [rest]:
            decoder.feed(piece)


# -- a round trip ------------------------------------------------------------------------


async def round_trips(n: int) -> float:
    async def handler(request, responder):
        await responder.respond(200, [("Content-Type", "application/json")], JSON_ANSWER)

    async with trio.open_nursery() as nursery:
        port = await nursery.start(partial(serve_http, handler, 0))
        async with HttpClient("127.0.0.1", port) as client:
            headers = [("Content-Type", "application/json"), ("Authorization", "Bearer sk")]
            for _ in range(50):
                async with client.request(
                    "POST", "/v1/chat/completions", headers=headers, body=BODY
                ) as r:
                    await r.read()
            start = time.process_time()
            for _ in range(n):
                async with client.request(
                    "POST", "/v1/chat/completions", headers=headers, body=BODY
                ) as r:
                    await r.read()
            cpu = time.process_time() - start
        nursery.cancel_scope.cancel()
    return cpu / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--old", metavar="REV", help="also time the hand-written parser at REV")
    args = parser.parse_args()
    n = 2000 if args.quick else 20000
    head_end = SSE.index(b"\r\n\r\n") + 4
    # The SSE answer as it arrives from an inference server: the head, then an event a read.
    sse_pieces = [SSE[:head_end]] + [encode_chunk(e) for e in EVENTS] + [b"0\r\n\r\n"]
    cases = [
        (f"request, Content-Length body ({len(PLAIN)} B)", "request", PLAIN, None),
        (f"request, chunked body ({len(CHUNKED)} B)", "request", CHUNKED, None),
        (f"response, JSON ({len(RESPONSE)} B)", "response", RESPONSE, None),
        ("response, 100-event SSE, one read", "response", SSE, None),
        ("response, 100-event SSE, a read per event", "response", SSE, sse_pieces),
    ]
    old = load_old(args.old) if args.old else None
    print(f"{'µs per message':46} {'llhttp':>9} {'h11':>9}" + (f" {'old':>9}" if old else ""))
    for name, kind, data, pieces in cases:
        number = n // 10 if "SSE" in name else n
        if kind == "request":
            row = [
                _us(partial(llhttp_request, data), number),
                _us(partial(h11_request, data), number),
            ]
            if old is not None:
                row.append(_us(partial(old_request, old, data), number))
        else:
            row = [
                _us(partial(llhttp_response, data, pieces), number),
                _us(partial(h11_response, data, pieces), number),
            ]
            if old is not None:
                row.append(_us(partial(old_response, old, data, pieces and pieces[1:]), number))
        print(f"{name:46} " + " ".join(f"{v:9.1f}" for v in row))
    rt = trio.run(round_trips, 500 if args.quick else 3000)
    print(f"{'round trip through serve_http + HttpClient, CPU':46} {rt:9.1f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
