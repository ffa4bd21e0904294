"""Every TL message kind our roles emit, field by field against what the reference emitted in
the same place of the captured session (../shared/data/ref-wire), one test per kind.

Ours come from the roles themselves: a network of our client, proxy and worker runs the
captured session again (a chat completion, a streamed one with usage, the model list, payment
status polls, the client's second connection with short authorization) while every frame each
session writes is recorded. Each captured message is paired with ours of the same kind and
direction (counted from the end: the latest ones, after the client reconnected), then compared
by `capture_fields.diff`: by value, except the fields `capture_fields.RULES` names (keys,
signatures, random ids, times, each deployment's addresses and config), compared by shape.
A drift like `http_version` "1.1" for the reference's "HTTP/1.1" fails here.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict

import httpx
import pytest
import trio

from cocoon import tl
from cocoon.backends.fake import FakeInferenceConfig
from cocoon.net import session as session_module
from cocoon.net.capture import decode_capture, decode_carried
from cocoon.network import NetworkConfig, open_network
from tests.conftest import SHARED

from .capture_fields import diff

pytestmark = pytest.mark.e2e

# Who writes each captured stream (the role's side of its router hop), and how our sessions
# of the same direction are named.
STREAMS = {
    "client": ("client-runner_to_router-socks.bin", "client->"),
    "proxy-to-client": ("router-socks_to_client-runner.bin", "proxy<-client"),
    "worker": ("worker-runner_to_router-socks.bin", "worker->"),
    "proxy-to-worker": ("router-socks_to_worker-runner.bin", "proxy<-worker"),
}
MODEL = "Qwen/Qwen3-8B"
HELLO = b'{"max_tokens":3,"messages":[{"content":"Hello","role":"user"}],"model":"Qwen/Qwen3-8B"}'
STREAM = json.dumps(
    {
        "max_tokens": 3,
        "messages": [{"content": "Stream", "role": "user"}],
        "model": MODEL,
        "stream": True,
        "stream_options": {"include_usage": True},
    },
    separators=(",", ":"),
).encode()

Sent = list[tuple[type, tl.TLObject]]  # (tcp carrier, application object)


def _captured(shared_data) -> dict[str, Sent]:
    out = {}
    for direction, (name, _) in STREAMS.items():
        capture = decode_capture((shared_data / "ref-wire" / name).read_bytes())
        out[direction] = [(type(f.packet), f.inner[0].obj) for f in capture.frames if f.inner]
    return out


def _kinds(sent: Sent) -> set[type]:
    return {type(obj) for _, obj in sent}


async def _run_session(recorded: list[tuple[str, bytes]], want: dict[str, set[type]]) -> None:
    config = NetworkConfig(
        worker_coefficients=(0,),  # as the capture: coefficient 0, so 0 tokens billed
        max_active_requests=60,  # the reference worker's value
        inference=FakeInferenceConfig(token_delay=0.005),  # streamed: a head, then parts
        payment_poll_interval=0.2,
        state_commit_interval=0.2,
    )
    async with open_network(config) as net:
        # The capture's client was known already: it authorized with its secret (short). Ours
        # sets its secret on chain after its first (long) authorization; then it reconnects.
        secret = hashlib.sha256(net.client_slots[0].config.secret_string.encode()).digest()
        proxy = net.proxies[0].node
        with trio.fail_after(60):
            while not any(a.secret_hash == secret for a in proxy.clients.values()):  # noqa: ASYNC110
                await trio.sleep(0.05)
        await net.client_slots[0].restart()
        with trio.fail_after(60):
            await net.wait_ready()
        async with httpx.AsyncClient(base_url=net.client_url, timeout=30) as http:
            headers = {"content-type": "application/json"}
            r = await http.post("/v1/chat/completions", content=HELLO, headers=headers)
            assert r.status_code == 200, r.text
            r = await http.post("/v1/chat/completions", content=STREAM, headers=headers)
            assert r.status_code == 200, r.text
            assert (await http.get("/v1/models")).status_code == 200
        # Payment receipts and status polls come on their own timers (a kind still missing
        # after that fails its own test).
        with trio.move_on_after(30):
            while any(want[d] - _kinds(_ours(recorded)[d]) for d in STREAMS):  # noqa: ASYNC110
                await trio.sleep(0.05)


def _ours(recorded: list[tuple[str, bytes]]) -> dict[str, Sent]:
    out: dict[str, Sent] = defaultdict(list)
    for name, payload in recorded:
        direction = next((d for d, (_, prefix) in STREAMS.items() if name.startswith(prefix)), None)
        if direction is None:
            continue
        packet = tl.decode(payload, "tcp.Packet")
        carried = decode_carried(packet)
        if carried:
            out[direction].append((type(packet), carried[0].obj))
    return out


@pytest.fixture(scope="module")
def sessions(shared_data) -> tuple[dict[str, Sent], dict[str, Sent]]:
    captured = _captured(shared_data)
    want = {d: _kinds(sent) for d, sent in captured.items()}
    recorded: list[tuple[str, bytes]] = []
    enqueue = session_module.Session._enqueue

    async def recording(self, data):
        recorded.append((self.name, bytes(data)))
        return await enqueue(self, data)

    session_module.Session._enqueue = recording
    try:
        trio.run(_run_session, recorded, want)
    finally:
        session_module.Session._enqueue = enqueue
    return captured, _ours(recorded)


def _captured_kinds() -> list[tuple[str, str]]:
    """(direction, TL name) of every kind in the captures; read here so that each kind is a
    test of its own."""
    root = SHARED / "data"
    if not (root / "ref-wire").is_dir():
        return []
    return sorted(
        {(direction, obj.TL_NAME) for direction, sent in _captured(root).items() for _, obj in sent}
    )


@pytest.mark.parametrize(("direction", "kind"), _captured_kinds())
def test_field_by_field_against_the_capture(sessions, direction, kind):
    captured, ours = sessions
    theirs = [(c, o) for c, o in captured[direction] if o.TL_NAME == kind]
    mine = [(c, o) for c, o in ours[direction] if o.TL_NAME == kind]
    assert mine, f"our {direction} never sent {kind}"
    problems = []
    for (their_carrier, ref), (my_carrier, obj) in zip(
        reversed(theirs), reversed(mine), strict=False
    ):
        if my_carrier is not their_carrier:
            problems.append(
                f"sent in {my_carrier.TL_NAME}, the reference in {their_carrier.TL_NAME}"
            )
        problems += diff(obj, ref)
    assert problems == []


def test_the_final_info_of_a_streamed_answer_matches(sessions):
    """The last part's final info (tokens and the four times) field by field, for both hops."""
    captured, ours = sessions
    for direction, cls in (("worker", tl.ProxyQueryAnswerPartEx), ("proxy-to-client", tl.ClientQueryAnswerPartEx)):  # fmt: skip
        ref = [o for _, o in captured[direction] if isinstance(o, cls) and o.flags & 1][-1]
        obj = [o for _, o in ours[direction] if isinstance(o, cls) and o.flags & 1][-1]
        assert diff(obj.final_info, ref.final_info) == []


def test_the_forwarded_request_body_is_the_captured_one(sessions):
    captured, ours = sessions
    for direction, cls in (("client", tl.ClientRunQueryEx), ("proxy-to-worker", tl.ProxyRunQueryEx)):  # fmt: skip
        refs = [tl.decode(o.query).payload for _, o in captured[direction] if isinstance(o, cls)]
        mine = [tl.decode(o.query).payload for _, o in ours[direction] if isinstance(o, cls)]
        assert mine[-2:] == refs == [HELLO, STREAM]
