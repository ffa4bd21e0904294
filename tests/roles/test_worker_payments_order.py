"""A worker checks each request's signed payment in arrival order. It used to check a
request's payment only once the request's task ran, so a payment message queued right behind
the request (with a higher, newer payment) was seen first, the request's own payment then
looked stale, and the worker dropped the link: every running request failed with "worker
disconnected" (seen under load whenever a state commit landed)."""

from __future__ import annotations

import json
import secrets

import pytest
import trio

from cocoon import tl
from cocoon.network import NetworkConfig, open_network
from cocoon.openai.validation import parse_client_request
from cocoon.roles.client.events import Done

pytestmark = pytest.mark.e2e


def _request() -> tuple[object, tl.HttpRequest]:
    body = {"model": "Qwen/Qwen3-8B", "messages": [{"role": "user", "content": "a b"}]}
    parsed = parse_client_request(json.dumps(body | {"max_tokens": 4}).encode())
    request = tl.HttpRequest(
        method="POST",
        url="/v1/chat/completions",
        http_version="HTTP/1.1",
        headers=[tl.HttpHeader(name="Content-Length", value=str(len(parsed.body)))],
        payload=parsed.body,
    )
    return parsed.options, request


async def test_a_payment_right_behind_a_request_does_not_drop_the_worker():
    async with open_network(NetworkConfig(client_http=False)) as net:
        options, request = _request()
        async with net.clients[0].node.request(options, request) as events:
            assert isinstance([e async for e in events][-1], Done)
        proxy = net.proxies[0].node
        [worker] = proxy.worker_sessions.values()
        tokens = worker.account.tokens
        [link] = net.workers[0].node.all_links
        with trio.fail_after(5):  # the request's receipt has reached the worker
            while tokens.tokens_committed_to_db == 0 or link.earnings.db_tokens == 0:  # noqa: ASYNC110
                await trio.sleep(0.01)
        older = proxy.worker_payment(worker.account)
        tokens.tokens_committed_to_blockchain = tokens.tokens_committed_to_db  # a commit landed
        newer = proxy.worker_payment(worker.account)
        assert (newer.tokens or 0) > (older.tokens or 0)
        run = tl.ProxyRunQueryEx(
            query=tl.encode(request), signed_payment=tl.ProxySignedPayment(data=older.to_boc()),
            coefficient=1000, timeout=10.0, request_id=secrets.token_bytes(32), enable_debug=False,
        )  # fmt: skip
        payment = tl.ProxyWorkerRequestPayment(
            request_id=secrets.token_bytes(32),
            signed_payment=tl.ProxySignedPayment(data=newer.to_boc()),
            db_tokens=tokens.tokens_committed_to_db,
            max_tokens=tokens.tokens_max,
            request_tokens=0,
            request_client_owner="",
        )
        # Back to back, as the worker's packet loop may deliver them before the request's
        # task first runs.
        session = link.session
        await link.on_packet(session, run)
        await link.on_packet(session, payment)
        await trio.sleep(0.3)
        assert link.ready and not session.closed
        assert link.earnings.chain_tokens == newer.tokens


async def test_a_request_with_a_lower_payment_closes_the_link_and_is_not_served():
    async with open_network(NetworkConfig(client_http=False)) as net:
        options, request = _request()
        async with net.clients[0].node.request(options, request) as events:
            assert isinstance([e async for e in events][-1], Done)
        proxy = net.proxies[0].node
        [worker] = proxy.worker_sessions.values()
        tokens = worker.account.tokens
        [link] = net.workers[0].node.all_links
        with trio.fail_after(5):
            while tokens.tokens_committed_to_db == 0 or link.earnings.db_tokens == 0:  # noqa: ASYNC110
                await trio.sleep(0.01)
        older = proxy.worker_payment(worker.account)
        tokens.tokens_committed_to_blockchain = tokens.tokens_committed_to_db
        newer = proxy.worker_payment(worker.account)
        session = link.session
        await link.on_packet(
            session,
            tl.ProxyWorkerRequestPayment(
                request_id=secrets.token_bytes(32),
                signed_payment=tl.ProxySignedPayment(data=newer.to_boc()),
                db_tokens=tokens.tokens_committed_to_db,
                max_tokens=tokens.tokens_max,
                request_tokens=0,
                request_client_owner="",
            ),
        )
        queries = net.workers[0].node.ctx.stats["queries"].total
        run = tl.ProxyRunQueryEx(
            query=tl.encode(request), signed_payment=tl.ProxySignedPayment(data=older.to_boc()),
            coefficient=1000, timeout=10.0, request_id=secrets.token_bytes(32), enable_debug=False,
        )  # fmt: skip
        await link.on_packet(session, run)  # a proxy going back on its word
        assert session.closed and "payment check failed" in (session.close_reason or "")
        assert link.running == {}  # nothing left behind for a request never started
        await trio.sleep(0.1)
        assert net.workers[0].node.ctx.stats["queries"].total == queries
