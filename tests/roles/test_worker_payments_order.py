"""A worker checks each request's signed payment in arrival order. It used to check a
request's payment only once the request's task ran, so a payment message queued right behind
the request (with a higher, newer payment) was seen first, the request's own payment then
looked stale, and the worker dropped the link: every running request failed with "worker
disconnected" (seen under load whenever a state commit landed)."""

from __future__ import annotations

import secrets

import attrs
import pytest
import trio

from cocoon import tl
from cocoon.network import Network, NetworkConfig, open_network
from cocoon.ton.payments import SignedPayment
from tests.roles.netutil import answered, chat_body, parsed_request

pytestmark = pytest.mark.e2e


@attrs.frozen
class Settled:
    """A worker link after one answered request whose receipt it has, and two payouts of the
    proxy for it: before and after a state commit landed."""

    link: object
    session: object
    tokens: object
    older: SignedPayment
    newer: SignedPayment
    request: tl.HttpRequest


async def settled(net: Network) -> Settled:
    await answered(net.clients[0].node)
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
    _, request = parsed_request(chat_body(max_tokens=4))
    return Settled(link, link.session, tokens, older, newer, request)


def run_query(s: Settled, payment: SignedPayment) -> tl.ProxyRunQueryEx:
    return tl.ProxyRunQueryEx(
        query=tl.encode(s.request), signed_payment=tl.ProxySignedPayment(data=payment.to_boc()),
        coefficient=1000, timeout=10.0, request_id=secrets.token_bytes(32), enable_debug=False,
    )  # fmt: skip


def payment_message(s: Settled, payment: SignedPayment) -> tl.ProxyWorkerRequestPayment:
    return tl.ProxyWorkerRequestPayment(
        request_id=secrets.token_bytes(32),
        signed_payment=tl.ProxySignedPayment(data=payment.to_boc()),
        db_tokens=s.tokens.tokens_committed_to_db,
        max_tokens=s.tokens.tokens_max,
        request_tokens=0,
        request_client_owner="",
    )


async def test_a_payment_right_behind_a_request_does_not_drop_the_worker():
    async with open_network(NetworkConfig(client_http=False)) as net:
        s = await settled(net)
        # Back to back, as the worker's packet loop may deliver them before the request's
        # task first runs.
        await s.link.on_packet(s.session, run_query(s, s.older))
        await s.link.on_packet(s.session, payment_message(s, s.newer))
        await trio.sleep(0.3)
        assert s.link.ready and not s.session.closed
        assert s.link.earnings.chain_tokens == s.newer.tokens


async def test_a_request_with_a_lower_payment_closes_the_link_and_is_not_served():
    async with open_network(NetworkConfig(client_http=False)) as net:
        s = await settled(net)
        await s.link.on_packet(s.session, payment_message(s, s.newer))
        queries = net.workers[0].node.ctx.stats["queries"].total
        await s.link.on_packet(s.session, run_query(s, s.older))  # a proxy going back on its word
        assert s.session.closed and "payment check failed" in (s.session.close_reason or "")
        assert s.link.running == {}  # nothing left behind for a request never started
        await trio.sleep(0.1)
        assert net.workers[0].node.ctx.stats["queries"].total == queries
