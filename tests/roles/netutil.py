"""Helpers for tests that drive a whole network at the TL level (the client's core, no HTTP)."""

from __future__ import annotations

import json

import attrs
import trio

from cocoon import tl
from cocoon.openai.validation import ClientRequestOptions, parse_client_request
from cocoon.roles.client.events import Chunk, Done, Failed, Head

MODEL = "Qwen/Qwen3-8B"


@attrs.define
class Outcome:
    head: Head | None = None
    chunks: list[bytes] = attrs.field(factory=list)
    done: Done | None = None
    failed: Failed | None = None
    first_chunk_at: float | None = None
    ended_at: float | None = None

    @property
    def body(self) -> bytes:
        payload = self.head.response.payload if self.head else b""
        return payload + b"".join(self.chunks)

    def usage(self) -> dict:
        """The `usage` object of a JSON answer or of the SSE event that carried it."""
        body = self.body.decode()
        if body.lstrip().startswith("{"):
            return json.loads(body)["usage"]
        for line in body.splitlines():
            if line.startswith("data: {") and '"usage"' in line:
                usage = json.loads(line[6:]).get("usage")
                if usage:
                    return usage
        raise AssertionError("no usage in the answer")


def chat_body(
    *, stream: bool = False, max_tokens: int = 5, model: str = MODEL, **extra: object
) -> bytes:
    body = {
        "model": model,
        "messages": [{"role": "user", "content": "hello there"}],
        "max_tokens": max_tokens,
    }
    if stream:
        body["stream"] = True
    return json.dumps(body | extra).encode()


def http_request(payload: bytes, url: str = "/v1/chat/completions") -> tl.HttpRequest:
    return tl.HttpRequest(
        method="POST",
        url=url,
        http_version="HTTP/1.1",
        headers=[tl.HttpHeader(name="Content-Type", value="application/json")],
        payload=payload,
    )


def parsed_request(
    body: bytes, *, request_timeout: float | None = None
) -> tuple[ClientRequestOptions, tl.HttpRequest]:
    """What the client's API makes of `body`: the options and the request it forwards."""
    req = parse_client_request(body, default_timeout=request_timeout or 30.0)
    return req.options, http_request(req.body)


async def run_request(
    node, body: bytes, *, stop_after_chunks: int | None = None, request_timeout: float | None = None
) -> Outcome:
    """Send one request through the client's core and collect what comes back."""
    options, request = parsed_request(body, request_timeout=request_timeout)
    out = Outcome()
    start = trio.current_time()
    async with node.request(options, request) as events:
        async for event in events:
            now = trio.current_time() - start
            if isinstance(event, Head):
                out.head = event
            elif isinstance(event, Chunk):
                out.chunks.append(event.data)
                if out.first_chunk_at is None:
                    out.first_chunk_at = now
                if stop_after_chunks is not None and len(out.chunks) >= stop_after_chunks:
                    break
            elif isinstance(event, Done):
                out.done = event
            elif isinstance(event, Failed):
                out.failed = event
    out.ended_at = trio.current_time() - start
    return out


async def eventually(predicate, within: float = 10.0, step: float = 0.05) -> None:
    """Wait until `predicate()` holds (state that settles through several tasks)."""
    with trio.fail_after(within):
        while not predicate():  # noqa: ASYNC110 - the state spans tasks and the chain
            await trio.sleep(step)


async def answered(node, max_tokens: int = 4) -> Outcome:
    """One short chat completion that must succeed."""
    out = await run_request(node, chat_body(max_tokens=max_tokens))
    assert out.failed is None and out.done is not None, out.failed
    return out
