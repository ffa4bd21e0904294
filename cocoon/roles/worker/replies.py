"""How a worker answers the proxy for one request, in the protocol version of that connection.

Proto >= 1: one `proxy.queryAnswerEx` (the `http.response`), body parts as
`proxy.queryAnswerPartEx`, the last one (flags bit 0) carrying `final_info`; or
`proxy.queryAnswerErrorEx`, always with `final_info`. Proto 0: the old constructors with the
running `tokensUsed` in every message (spec 10 section 7.3).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable

import attrs

from cocoon import tl

Send = Callable[[tl.TLObject], Awaitable[None]]

ZERO_TOKENS = tl.TokensUsed(
    prompt_tokens_used=0,
    cached_tokens_used=0,
    completion_tokens_used=0,
    reasoning_tokens_used=0,
    total_tokens_used=0,
)


def status_line_version(version: str) -> str:
    """The `http_version` of an `http.response` as the reference writes it: the status line's
    token, `HTTP/1.1` (its client accepts only `HTTP/1.0` and `HTTP/1.1` and aborts on anything
    else). Our HTTP client reports the bare `1.1`."""
    return version if version.startswith("HTTP/") else f"HTTP/{version}"


class Replier:
    """Sends one request's answers; remembers whether the first answer went out."""

    def __init__(
        self, send: Send, proto: int, request_id: bytes, *, debug: bool, start: float
    ) -> None:
        self._send = send
        self.proto = proto
        self.request_id = request_id
        self.debug = debug
        self.start = start
        self.first_answer_at: float | None = None
        self.answered = False
        self.finished = False
        self.bytes_sent = 0

    def final_info(self, tokens: tl.TokensUsed) -> tl.ProxyQueryFinalInfo:
        now = time.time()
        debug = None
        if self.debug:
            debug = json.dumps(
                {
                    "type": "worker_stats",
                    "start_time": self.start,
                    "answer_receive_start_at": self.first_answer_at or now,
                    "answer_receive_end_at": now,
                },
                separators=(",", ":"),
            )
        times = self.proto >= 2
        return tl.ProxyQueryFinalInfo(
            tokens_used=tokens,
            worker_debug=debug,
            worker_start_time=self.start if times else None,
            worker_end_time=now if times else None,
        )

    async def answer(self, response: tl.HttpResponse, *, tokens: tl.TokensUsed | None) -> None:
        """The first answer; `tokens` given means it is also the last."""
        version = status_line_version(response.http_version)
        if version != response.http_version:
            response = attrs.evolve(response, http_version=version)
        data = tl.encode(response)
        self.answered = True
        self.finished = tokens is not None
        self.bytes_sent += len(response.payload)
        if self.proto >= 1:
            final = self.final_info(tokens) if tokens is not None else None
            await self._send(
                tl.ProxyQueryAnswerEx(request_id=self.request_id, answer=data, final_info=final)
            )
        else:
            await self._send(
                tl.ProxyQueryAnswer(
                    answer=data,
                    is_completed=tokens is not None,
                    request_id=self.request_id,
                    tokens_used=tokens or ZERO_TOKENS,
                )
            )

    async def part(self, data: bytes, *, running: tl.TokensUsed, last: bool) -> None:
        self.finished = last
        self.bytes_sent += len(data)
        if self.proto >= 1:
            final = self.final_info(running) if last else None
            await self._send(
                tl.ProxyQueryAnswerPartEx(request_id=self.request_id, answer=data, final_info=final)
            )
        else:
            await self._send(
                tl.ProxyQueryAnswerPart(
                    answer=data, is_completed=last, request_id=self.request_id, tokens_used=running
                )
            )

    async def error(self, code: int, message: str, *, tokens: tl.TokensUsed = ZERO_TOKENS) -> None:
        self.finished = True
        if self.proto >= 1:
            await self._send(
                tl.ProxyQueryAnswerErrorEx(
                    request_id=self.request_id,
                    error_code=code,
                    error=message,
                    final_info=self.final_info(tokens),
                )
            )
            return
        cls = tl.ProxyQueryAnswerPartError if self.answered else tl.ProxyQueryAnswerError
        await self._send(
            cls(error_code=code, error=message, request_id=self.request_id, tokens_used=tokens)
        )
