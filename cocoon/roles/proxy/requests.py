"""One client request through the proxy (spec 10 sections 7.2-7.4, spec 40 section 4).

admission (balance, config version, client state; the reference's order and texts) ->
reservation -> worker choice -> `proxy.runQueryEx` to the worker -> the worker's answers
translated to the client as they arrive -> settlement. Better than the reference:

* a request that failed before any answer byte reached the client (worker busy, worker gone,
  worker protocol error) is retried once on another worker, within the same deadline;
* a worker connection that closes fails its requests at once (no wait for the timer);
* proxy-side failures reach protocol >= 1 clients as `client.queryAnswerErrorEx` (the
  reference's old forms leave its own client hanging);
* if the client goes away (or cancels), the worker is told to stop (`cocoonExt.cancelQuery`)
  and its final token count is still awaited, so what was produced is billed, no more.

Settlement: the tokens the worker reported (0 if none) are added to the client's and the
worker's counters, the reservation is released, and after the database write that holds
them the payment messages go to both.
"""

from __future__ import annotations

import logging
import math
import secrets
import time
from typing import TYPE_CHECKING

import trio

from cocoon import tl
from cocoon.net import SessionClosed, codes
from cocoon.openai.errors import caused_by_request
from cocoon.roles.common import bounds
from cocoon.roles.common.errors import OutOfRangeError, RequestError
from cocoon.roles.common.inbox import Inbox
from cocoon.roles.common.metrics import OTHER, endpoint_label
from cocoon.roles.proxy.answers import (
    Kind,
    WorkerAnswer,
    add_headers,
    client_answer,
    client_error,
    client_final_info,
    stats_json,
    timestamp,
)
from cocoon.roles.proxy.registry import WorkerConnection, WorkersBusy, base_model_name
from cocoon.roles.proxy.slots import QueueFull
from cocoon.ton.pricing import reserve_for_query

if TYPE_CHECKING:
    from cocoon.roles.proxy.accounts import WorkerAccount
    from cocoon.roles.proxy.clients import ClientSession
    from cocoon.roles.proxy.node import ProxyNode
    from cocoon.roles.proxy.workers import WorkerSession

log = logging.getLogger("cocoon.proxy.requests")

TIMEOUT_FACTOR = 0.95
CANCEL_GRACE = 5.0  # how long a cancelled worker gets to report its tokens
RETRYABLE_WORKER_ERRORS = ("too many active queries",)


class _WorkerGone:
    """Marks, in the answer channel, that the worker connection closed."""


class _Cancelled:
    """Marks, in the answer channel, that the client went away or cancelled."""


class RunningRequest:
    def __init__(
        self, node: ProxyNode, client: ClientSession, query: tl.ClientRunQueryEx | tl.ClientRunQuery
    ) -> None:
        self.node = node
        self.client = client
        self.query = query
        self.client_request_id = query.request_id
        self.debug = bool(getattr(query, "enable_debug", False))
        self.start = time.time()
        self.first_answer_at: float | None = None
        self.answered = False  # the first answer went to the client
        self.conn_id: int | None = None
        self.proxy_request_id: bytes | None = None
        self.tokens = 0  # reported by workers, all attempts
        self.reserved = 0
        self.admitted = False  # counted in the client's `running` (released by `_settle`)
        self.cancel_reason: str | None = None
        self.request_fault = False  # the attempt failed by the request's own doing
        self._answers: Inbox[WorkerAnswer | _WorkerGone | _Cancelled] | None = None
        self._wait_scope: trio.CancelScope | None = None
        self._attempt_account: WorkerAccount | None = None
        self.worker_tokens: dict[WorkerAccount, int] = {}
        self.bytes_sent = 0
        self.endpoint = OTHER  # the carried HTTP request's path, as a metrics label
        self.in_parts = False  # the answer came in several parts (a stream)

    # Called from the worker's and client's connections ------------------------------------

    def deliver(self, answer: WorkerAnswer) -> None:
        if self._answers is not None:
            self._answers.put(answer)

    def worker_gone(self) -> None:
        if self._answers is not None:
            self._answers.put(_WorkerGone())

    def cancel(self, reason: str) -> None:
        if self.cancel_reason is None:
            self.cancel_reason = reason
            if self._wait_scope is not None:  # waiting for a slot: stop waiting
                self._wait_scope.cancel()
            if self._answers is not None:
                self._answers.put(_Cancelled())

    # ------------------------------------------------------------------ the request

    async def run(self) -> None:
        node = self.node
        node.stats["queries"].add()
        ok = False
        try:
            self._admit()
            ok = await self._attempts()
        except RequestError as e:
            if self.conn_id is None:  # no worker took it
                node.stats["rejected"].add()
            elif not self.admitted:  # `_settle` counts an admitted request as failed
                node.stats["failed"].add()
            await self._fail(e.code, e.message)
        except Exception:
            # A bug met by one request fails that request only, never the proxy's other
            # requests (they share the node's nursery).
            log.exception("request failed")
            if not self.admitted:
                node.stats["failed"].add()
            await self._fail(codes.ERROR, "proxy: internal error")
        finally:
            self._settle(ok)  # synchronous: done even when the proxy is shutting down
        await self._send_payments()

    def _admit(self) -> None:
        node, acc, q = self.node, self.client.account, self.query
        assert acc is not None
        try:  # before any arithmetic: a negative max_tokens would lift the balance check
            bounds.check(q)
        except OutOfRangeError as e:
            raise RequestError(codes.PROTOVIOLATION, str(e)) from e
        root = node.root.require()
        price = root.price_per_token
        available = acc.available(price)
        if available < q.max_tokens:
            raise RequestError(
                codes.ERROR,
                f"client balance is too low: max_tokens={q.max_tokens} tokens_payed={acc.sc_balance // max(price, 1) + acc.tokens.sc_tokens} "
                f"tokens_used={acc.tokens.tokens_max} tokens_reserved={acc.reserved} tokens_stake={acc.sc_stake // max(price, 1)}",
            )
        if q.min_config_version > root.version:
            raise RequestError(codes.ERROR, "active config version is too low")
        if acc.sc_state != 0:
            raise RequestError(codes.NOTREADY, "client is closing")
        if not node.serving:
            raise RequestError(codes.NOTREADY, "proxy is disabled")
        cap = node.config.max_requests_per_client
        if cap and acc.running >= cap:
            raise RequestError(
                codes.NOTREADY, f"too many running requests for this client (limit {cap})"
            )
        to_reserve = reserve_for_query(q.max_tokens, len(q.query), q.max_coefficient)
        if to_reserve > available:
            raise RequestError(codes.NOTREADY, "balance is too low")
        try:
            http_request = tl.decode(q.query, tl.HttpRequest)
        except tl.TLDecodeError as e:
            raise RequestError(codes.PROTOVIOLATION, f"invalid http request: {e}") from e
        self.endpoint = endpoint_label(http_request.url)
        self.reserved = to_reserve
        acc.reserved += to_reserve
        acc.running += 1
        self.admitted = True

    async def _attempts(self) -> bool:
        """Try workers until one answers (or the attempts, the deadline or the client run out).
        True on success; False when an error was already forwarded; raises `RequestError`
        for an error still to forward."""
        node, q = self.node, self.query
        deadline = trio.current_time() + (q.timeout if q.timeout > 0 else math.inf)
        avoid: list[int] = []
        last_error: RequestError | None = None
        for _ in range(1 + max(node.config.retries, 0)):
            try:
                conn = await self._choose(avoid, deadline)
            except RequestError:
                if last_error is None:
                    raise
                break
            session = node.worker_sessions.get(conn.conn_id)
            if session is None or session.account is None:
                avoid.append(conn.conn_id)
                continue
            outcome = await self._one_attempt(conn, session, deadline)
            if not isinstance(outcome, RequestError):
                return outcome
            avoid.append(conn.conn_id)
            last_error = outcome
            if self.cancel_reason is not None or trio.current_time() >= deadline:
                break
            log.info("retrying a request on another worker after: %s", outcome.message)
        assert last_error is not None
        raise last_error

    async def _choose(self, avoid: list[int], deadline: float) -> WorkerConnection:
        """A worker with a free slot. When every one is busy, wait for a slot in arrival
        order (`slots`), up to `busy_wait`; raises `RequestError` past that, or at once when
        `busy_queue_limit` requests already wait."""
        node, q, cfg = self.node, self.query, self.node.config
        model = base_model_name(q.model_name)

        def choose() -> WorkerConnection:
            return node.registry.choose(
                q.model_name, q.max_coefficient, trio.current_time(), avoid=avoid
            )

        try:
            conn = choose()  # any other refusal (unknown model, price...) comes at once
            if not node.slots.waiting(model):  # else they came first: queue behind them
                return conn
        except WorkersBusy:
            if cfg.busy_wait <= 0:
                raise
        until = min(deadline, trio.current_time() + cfg.busy_wait)
        try:
            with node.slots.enter(model) as waiter, trio.CancelScope() as self._wait_scope:
                node.stats["busy_waits"].add()
                if self.cancel_reason is not None:
                    self._wait_scope.cancel()
                while await waiter.wait(until):
                    try:
                        conn = choose()
                    except WorkersBusy:
                        continue  # an older request's retry took it: wait on, same place
                    return conn  # leaving, it wakes the next in line (another free slot?)
        except QueueFull:
            node.stats["busy_refused"].add()
            raise RequestError(
                codes.NOTREADY,
                f"no ready workers for model {model}: all busy, and "
                f"{cfg.busy_queue_limit} requests already wait for one",
            ) from None
        finally:
            self._wait_scope = None
        if self.cancel_reason is not None:
            raise RequestError(codes.CANCELLED, self.cancel_reason)
        node.stats["busy_refused"].add()
        raise RequestError(
            codes.NOTREADY,
            f"no ready workers for model {model}: all stayed busy for {cfg.busy_wait:g} s",
        )

    async def _one_attempt(
        self, conn: WorkerConnection, session: WorkerSession, deadline: float
    ) -> bool | RequestError:
        """One worker: True when the request completed (answer or worker error forwarded),
        else the error that may be retried elsewhere."""
        node, q = self.node, self.query
        acc = session.account
        assert acc is not None
        rid = secrets.token_bytes(32)
        answers: Inbox[WorkerAnswer | _WorkerGone | _Cancelled] = Inbox()
        self.conn_id, self.proxy_request_id, self._answers = conn.conn_id, rid, answers
        self.request_fault = False
        self._attempt_account = acc
        node.requests[rid] = self
        conn.running += 1
        acc.running += 1
        began = trio.current_time()
        ok = False
        try:
            timeout = q.timeout * TIMEOUT_FACTOR if q.timeout > 0 else 0.0
            message: tl.TLObject
            payment = tl.ProxySignedPayment(data=node.worker_payment(acc).to_boc())
            if session.proto >= 1:
                message = tl.ProxyRunQueryEx(
                    query=q.query, signed_payment=payment, coefficient=conn.coefficient, timeout=timeout,
                    request_id=rid, enable_debug=self.debug,
                )  # fmt: skip
            else:
                message = tl.ProxyRunQuery(
                    query=q.query,
                    signed_payment=payment,
                    coefficient=conn.coefficient,
                    timeout=timeout,
                    request_id=rid,
                )
            try:
                await session.send(message)
            except SessionClosed:
                return RequestError(codes.NOTREADY, "worker disconnected")
            result = await self._relay(answers, session, deadline)
            ok = result is True
            return result
        finally:
            node.requests.pop(rid, None)
            self._answers = None
            conn.running -= 1
            node.slots.wake(conn.base_model)  # the oldest request waiting for a slot
            acc.running -= 1
            if self.cancel_reason is None:  # a request its client gave up on says nothing
                now = trio.current_time()  # about the worker: no failure that excludes it
                conn.record_result(
                    ok, now - began, now, node.registry.policy, request_fault=self.request_fault
                )

    async def _relay(
        self,
        answers: Inbox[WorkerAnswer | _WorkerGone | _Cancelled],
        session: WorkerSession,
        deadline: float,
    ) -> bool | RequestError:
        if self.cancel_reason is not None:  # cancelled before this attempt began
            await self._cancel_worker(session)
            deadline = min(deadline, trio.current_time() + CANCEL_GRACE)
        with trio.CancelScope(deadline=deadline) as scope:  # one scope, not one per message
            while True:
                item = await answers.get()
                if isinstance(item, _Cancelled):  # stop the worker; its final count is billed
                    await self._cancel_worker(session)
                    scope.deadline = min(scope.deadline, trio.current_time() + CANCEL_GRACE)
                    continue
                if isinstance(item, _WorkerGone):
                    return await self._fail_relay(
                        codes.NOTREADY, "worker disconnected", retryable=True
                    )
                result = await self._forward(item)
                if result is not None:
                    return result
        await self._cancel_worker(session)
        self.request_fault = True  # the request's own deadline
        return await self._fail_relay(codes.TIMEOUT, "timeout in proxy")

    async def _cancel_worker(self, session: WorkerSession) -> None:
        if self.proxy_request_id is None:
            return
        try:
            await session.send(tl.CocoonExtCancelQuery(request_id=self.proxy_request_id))
        except SessionClosed:
            pass

    async def _fail_relay(
        self, code: int, message: str, *, retryable: bool = False
    ) -> bool | RequestError:
        if retryable and not self.answered and self.cancel_reason is None:
            return RequestError(code, message)
        await self._fail(code, message)
        return False

    async def _forward(self, answer: WorkerAnswer) -> bool | RequestError | None:
        """Pass one worker answer on; the outcome when it was the last one, else None."""
        if answer.last and self._attempt_account is not None:
            n = answer.tokens.total_tokens_used
            self.tokens += n
            self.worker_tokens[self._attempt_account] = (
                self.worker_tokens.get(self._attempt_account, 0) + n
            )
        if answer.kind is Kind.ERROR:
            self.request_fault = caused_by_request(answer.error_code, answer.error)
            if (
                not self.answered
                and answer.error in RETRYABLE_WORKER_ERRORS
                and self.cancel_reason is None
            ):
                return RequestError(answer.error_code, answer.error)
            await self._fail(answer.error_code, answer.error, worker_final=answer.final_info)
            return False
        if (answer.kind is Kind.ANSWER) == self.answered:
            await self._fail(codes.PROTOVIOLATION, "out of order answer parts")
            return False
        data = answer.data
        first = answer.kind is Kind.ANSWER
        if first:
            self.first_answer_at = time.time()
            self.in_parts = not answer.last
            try:
                data = add_headers(
                    data,
                    [
                        ("X-Cocoon-Proxy-Start", timestamp(self.start)),
                        ("X-Cocoon-Proxy-End", timestamp(self.first_answer_at)),
                    ],
                )
            except tl.TLDecodeError:
                await self._fail(codes.PROTOVIOLATION, "worker answer is not an http.response")
                return False
        final = self._final_info(answer.final_info) if answer.last else None
        self.answered = True
        self.bytes_sent += len(data)
        await self.client.send(
            client_answer(self.client.proto, self.client_request_id, data, first=first, final=final)
        )
        return True if answer.last else None

    def _final_info(self, worker_final: tl.ProxyQueryFinalInfo | None) -> tl.ClientQueryFinalInfo:
        now = time.time()
        debug = (
            stats_json("proxy", self.start, self.first_answer_at or now, now)
            if self.debug
            else None
        )
        return client_final_info(
            worker_final,
            client_proto=self.client.proto,
            proxy_start=self.start,
            proxy_end=now,
            proxy_debug=debug,
        )

    async def _fail(
        self, code: int, message: str, *, worker_final: tl.ProxyQueryFinalInfo | None = None
    ) -> None:
        final = self._final_info(worker_final)
        await self.client.send(
            client_error(
                self.client.proto,
                self.client_request_id,
                code,
                message,
                answered=self.answered,
                final=final,
            )
        )

    # ------------------------------------------------------------------ settlement

    def _settle(self, ok: bool) -> None:
        """Account the reported tokens (also for failed and cancelled requests)."""
        node, acc = self.node, self.client.account
        assert acc is not None
        self.client.requests.pop(self.client_request_id, None)
        now = int(time.time())
        if self.admitted:  # also when nothing was reserved (max_coefficient 0)
            acc.reserved -= self.reserved
            acc.running -= 1
            node.stats["success" if ok else "failed"].add()
        acc.tokens.add(self.tokens)
        acc.last_request_at = now
        for wacc, n in self.worker_tokens.items():
            wacc.tokens.add(n)
            wacc.last_request_at = now
        node.stats["time"].add(time.time() - self.start)
        node.stats["bytes_received"].add(len(self.query.query))
        node.stats["bytes_sent"].add(self.bytes_sent)
        node.stats["total_adjusted_tokens_used"].add(self.tokens)
        if node.metrics is not None:
            node.metrics.settled(self, ok, time.time())

    async def _send_payments(self) -> None:
        """After the write that makes them durable: the client's and the worker's receipts."""
        node, acc = self.node, self.client.account
        assert acc is not None
        await node.flushed()
        await self.client.send(
            tl.ProxyClientRequestPayment(
                request_id=self.client_request_id,
                signed_payment=tl.ProxySignedPayment(data=node.client_payment(acc).to_boc()),
                db_tokens=acc.tokens.tokens_committed_to_db,
                max_tokens=acc.tokens.tokens_max,
                request_tokens=self.tokens,
            )
        )
        session = node.worker_sessions.get(self.conn_id) if self.conn_id is not None else None
        if session is None or session.account is None or self.proxy_request_id is None:
            return
        wacc = session.account
        try:
            await session.send(
                tl.ProxyWorkerRequestPayment(
                    request_id=self.proxy_request_id,
                    signed_payment=tl.ProxySignedPayment(data=node.worker_payment(wacc).to_boc()),
                    db_tokens=wacc.tokens.tokens_committed_to_db,
                    max_tokens=wacc.tokens.tokens_max,
                    request_tokens=self.worker_tokens.get(wacc, 0),
                    request_client_owner=acc.owner,
                )
            )
        except SessionClosed:
            pass
