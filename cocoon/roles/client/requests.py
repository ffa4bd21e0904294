"""One request from the client's side: send `client.runQueryEx`, turn the proxy's answers
(all seven constructors, spec 10 section 7.5) into events, keep a local deadline.

The reference client has no deadline of its own and ignores the old answer forms, so its
requests can hang forever; ours end with an error at `timeout` (plus a small grace), when the
proxy connection drops, or when the caller stops listening (then the proxy is told to cancel
with `cocoonExt.cancelQuery`, so the worker stops generating).

The proxy's answers arrive on the session shared with other requests, whose reader must never
wait for one caller; so they are queued here for the caller, up to `max_buffered` bytes. A
caller that reads slower than the worker writes (its HTTP writes blocked) and lets that much
pile up is treated as one that left: the request is cancelled at the proxy at once (the
worker stops; what it produced is billed, as for any cancelled request), nothing more is
kept, and the caller, should it read again, gets what was queued and then the error.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

import trio

from cocoon import tl
from cocoon.net import SessionClosed, codes
from cocoon.roles.client.events import Chunk, Done, Event, Failed, Head
from cocoon.roles.common.inbox import Inbox

if TYPE_CHECKING:
    from cocoon.roles.client.link import ProxyLink

TIMEOUT_FACTOR = 0.95
DEADLINE_GRACE = 2.0
MAX_BUFFERED = 1024 * 1024  # answer bytes held per request for a caller that is not reading


def _tokens(final: tl.ClientQueryFinalInfo | None) -> int:
    return final.tokens_used.total_tokens_used if final is not None else 0


class ClientRequest:
    """`on_charge(tokens)`: called with what the proxy's receipt says it charged for this
    request, also when the receipt comes after the request ended here (the caller left, our
    own deadline), so the client's books show what it was charged."""

    def __init__(
        self,
        link: ProxyLink,
        on_charge: Callable[[int], None] | None = None,
        *,
        max_buffered: int = MAX_BUFFERED,
    ) -> None:
        self.link = link
        self.on_charge = on_charge
        self.request_id = secrets.token_bytes(32)
        # Unbounded as a queue (the session's reader must not wait), bounded in bytes here.
        self._inbox: Inbox[tl.TLObject | Failed] = Inbox()
        self.answered = False
        self.done = False
        self.billed_tokens: int | None = None  # from the proxy's receipt, when it arrived
        self.max_buffered = max_buffered
        self.buffered = 0  # answer bytes queued, not yet taken by the caller
        self.stalled = False  # the caller let `max_buffered` bytes pile up: cancelled

    def deliver(self, packet: tl.TLObject) -> None:
        if self.stalled:
            return
        size = len(getattr(packet, "answer", b""))
        if size:
            self.buffered += size
            if self.buffered > self.max_buffered:
                self._stall()
                return
        self._inbox.put(packet)

    def _stall(self) -> None:
        """Drop the request for a caller that is not reading: keep nothing more, cancel it at
        the proxy now (not when the caller next reads, which may be never)."""
        self.stalled = True
        link = self.link
        if link.requests.get(self.request_id) is self:
            del link.requests[self.request_id]  # what still comes for it is dropped
            if self.on_charge is not None:  # but its receipt is still booked
                link.await_receipt(self.request_id, self.receipt)
        self._inbox.put(
            Failed(
                codes.CANCELLED,
                f"the caller did not read its answer: {self.buffered} bytes were waiting "
                f"(max {self.max_buffered}); the request was cancelled",
                answered=self.answered,
                request_id=self.request_id,
            )
        )
        session = link.session
        if session is not None:
            try:
                session.start_soon(self._cancel_at_proxy)
            except SessionClosed:
                pass  # the proxy cancels the requests of a closed connection itself

    async def _cancel_at_proxy(self) -> None:
        try:
            await self.link.send(tl.CocoonExtCancelQuery(request_id=self.request_id))
        except SessionClosed:
            pass

    def fail(self, code: int, message: str) -> None:
        self._inbox.put(Failed(code, message, answered=self.answered, request_id=self.request_id))

    def receipt(self, tokens: int) -> None:
        self.billed_tokens = tokens
        if self.on_charge is not None:
            self.on_charge(tokens)

    async def run(
        self,
        *,
        model: str,
        query: bytes,
        max_coefficient: int,
        max_tokens: int,
        timeout: float,  # noqa: ASYNC109 - the wire field the proxy and worker also time by
        min_config_version: int,
        debug: bool = False,
    ) -> AsyncIterator[Event]:
        """Send the request and yield its events until it ends. Leaving early cancels it."""
        link = self.link
        link.requests[self.request_id] = self
        try:
            wire_timeout = timeout * TIMEOUT_FACTOR if math.isfinite(timeout) else 0.0
            if link.proto >= 1:
                msg: tl.TLObject = tl.ClientRunQueryEx(
                    model_name=model, query=query, max_coefficient=max_coefficient, max_tokens=max_tokens,
                    timeout=wire_timeout, request_id=self.request_id, min_config_version=min_config_version,
                    enable_debug=debug,
                )  # fmt: skip
            else:
                msg = tl.ClientRunQuery(
                    model_name=model, query=query, max_coefficient=max_coefficient, max_tokens=max_tokens,
                    timeout=wire_timeout, request_id=self.request_id, min_config_version=min_config_version,
                )  # fmt: skip
            try:
                await link.send(msg)
            except SessionClosed as e:
                yield Failed(codes.NOTREADY, f"no working proxy connections: {e.reason}")
                return
            deadline = trio.current_time() + (
                timeout + DEADLINE_GRACE if math.isfinite(timeout) else math.inf
            )
            while not self.done:
                item = None
                with trio.CancelScope(deadline=deadline):
                    item = await self._inbox.get()
                if item is None:  # not `done`: the proxy is told to cancel (finally)
                    yield Failed(
                        codes.TIMEOUT,
                        "timeout in client",
                        answered=self.answered,
                        request_id=self.request_id,
                    )
                    return
                if not isinstance(item, Failed):
                    self.buffered -= len(getattr(item, "answer", b""))
                for event in self._translate(item):
                    yield event
        finally:
            link.requests.pop(self.request_id, None)
            if self.billed_tokens is None and self.on_charge is not None:
                link.await_receipt(self.request_id, self.on_charge)
            if not self.done and not self.stalled:
                with trio.CancelScope(shield=True), trio.move_on_after(1):
                    try:
                        await link.send(tl.CocoonExtCancelQuery(request_id=self.request_id))
                    except SessionClosed:
                        pass

    def _translate(self, item: tl.TLObject | Failed) -> list[Event]:
        if isinstance(item, Failed):
            self.done = True
            return [item]
        if isinstance(item, tl.ClientQueryAnswerErrorEx):
            self.done = True
            return [
                Failed(item.error_code, item.error, item.final_info, self.answered, self.request_id)
            ]
        if isinstance(item, tl.ClientQueryAnswerError | tl.ClientQueryAnswerPartError):
            self.done = True
            return [Failed(item.error_code, item.error, None, self.answered, self.request_id)]
        if isinstance(item, tl.ClientQueryAnswerEx | tl.ClientQueryAnswer):
            if self.answered:
                return []  # a duplicate first answer is ignored, as in the reference
            try:
                response = tl.decode(item.answer, tl.HttpResponse)
            except tl.TLDecodeError as e:
                self.done = True
                return [
                    Failed(
                        codes.PROTOVIOLATION,
                        f"bad answer from the proxy: {e}",
                        request_id=self.request_id,
                    )
                ]
            self.answered = True
            done = self._maybe_done(item)
            return [Head(response, self.request_id, complete=bool(done)), *done]
        if isinstance(item, tl.ClientQueryAnswerPartEx | tl.ClientQueryAnswerPart):
            if not self.answered:
                return []  # parts before the first answer are ignored, as in the reference
            events = [Chunk(item.answer)] if item.answer else []
            return events + self._maybe_done(item)
        return []

    def _maybe_done(self, item: tl.TLObject) -> list[Event]:
        if isinstance(item, tl.ClientQueryAnswerEx | tl.ClientQueryAnswerPartEx):
            if not item.flags & 1:
                return []
            self.done = True
            return [Done(item.final_info, _tokens(item.final_info))]
        if item.is_completed:
            self.done = True
            return [Done(None, item.request_tokens_used.total_tokens_used)]
        return []
