"""The reference's captured session (../shared/data/ref-wire) decodes completely, inner TL objects
included, and every object re-encodes to the captured bytes."""

from __future__ import annotations

import pytest

from cocoon import tl
from cocoon.net import socks5
from cocoon.net.capture import decode_capture, reencode_mismatches
from cocoon.net.preamble import encode_preamble

PLAIN = [
    "client-runner_to_router-socks.bin",
    "router-socks_to_client-runner.bin",
    "worker-runner_to_router-socks.bin",
    "router-socks_to_worker-runner.bin",
    "router_to_proxy-client-port.bin",
    "proxy-client-port_to_router.bin",
    "router_to_proxy-worker-port.bin",
    "proxy-worker-port_to_router.bin",
]


@pytest.fixture(scope="module")
def captures(shared_data):
    return {name: (shared_data / "ref-wire" / name).read_bytes() for name in PLAIN}


def _app(frame):
    """The application object inside a frame (or the tcp packet itself)."""
    return frame.inner[0].obj if frame.inner else frame.packet


@pytest.mark.parametrize("name", PLAIN)
def test_every_frame_decodes_and_reencodes_byte_for_byte(captures, name):
    capture = decode_capture(captures[name])
    assert capture.frames, "a plain stream has frames"
    assert reencode_mismatches(capture) == []
    # Every tcp.packet/query/answer carries a decodable application object.
    for frame in capture.frames:
        if isinstance(frame.packet, tl.TcpPacket | tl.TcpQuery | tl.TcpQueryAnswer):
            assert frame.inner, f"frame {frame.seqno} carries no TL object"


@pytest.mark.parametrize("name", [n for n in PLAIN if n.startswith("router")])
def test_router_preamble_reencodes_identically(captures, name):
    data = captures[name]
    capture = decode_capture(data)
    assert capture.preamble is not None
    assert capture.preamble.attestation is None  # policy `any` in the capture
    assert len(capture.preamble.public_key) == 32
    encoded = encode_preamble(capture.preamble)
    assert len(encoded) == 4 + 120
    start = data.index(encoded)  # after the SOCKS5 reply, or at 0 on the proxy ports
    assert start in (0, 12)


def test_socks5_exchange_of_the_client(captures):
    client = decode_capture(captures["client-runner_to_router-socks.bin"])
    assert client.socks == (socks5.Greeting(methods=(0,)), socks5.Address("127.0.0.1", 11002))
    router = decode_capture(captures["router-socks_to_client-runner.bin"])
    assert router.socks[0] == ("method", 0)
    assert router.socks[1].host == "127.0.0.1"


def test_http_is_carried_inside_requests_and_first_answers(captures):
    to_proxy = decode_capture(captures["router_to_proxy-client-port.bin"])
    requests = [_app(f) for f in to_proxy.frames if isinstance(_app(f), tl.ClientRunQueryEx)]
    assert len(requests) == 2
    for f in to_proxy.frames:
        if isinstance(_app(f), tl.ClientRunQueryEx):
            http = f.inner[0].inner[0].obj
            assert isinstance(http, tl.HttpRequest)
            assert http.url == "/v1/chat/completions" and http.method == "POST"

    from_proxy = decode_capture(captures["proxy-client-port_to_router.bin"])
    answers = [_app(f) for f in from_proxy.frames]
    kinds = [type(a) for a in answers]
    assert kinds.count(tl.ClientQueryAnswerEx) == 2
    assert kinds.count(tl.ClientQueryAnswerPartEx) == 2
    first = next(f for f in from_proxy.frames if isinstance(_app(f), tl.ClientQueryAnswerEx))
    response = first.inner[0].inner[0].obj
    assert isinstance(response, tl.HttpResponse) and response.status_code == 200
    last_parts = [a for a in answers if isinstance(a, tl.ClientQueryAnswerPartEx) and a.flags & 1]
    assert len(last_parts) == 2 and all(p.final_info is not None for p in last_parts)


def test_both_sides_of_the_router_carry_the_same_frames(captures):
    # The router is a transparent pump after its preamble: frame payloads must agree.
    pairs = [
        ("client-runner_to_router-socks.bin", "router_to_proxy-client-port.bin"),
        ("proxy-client-port_to_router.bin", "router-socks_to_client-runner.bin"),
        ("worker-runner_to_router-socks.bin", "router_to_proxy-worker-port.bin"),
        ("proxy-worker-port_to_router.bin", "router-socks_to_worker-runner.bin"),
    ]
    for a, b in pairs:
        fa = [f.payload for f in decode_capture(captures[a]).frames]
        fb = [f.payload for f in decode_capture(captures[b]).frames]
        assert fa == fb, (a, b)


def test_worker_handshake_sequence(captures):
    frames = decode_capture(captures["router_to_proxy-worker-port.bin"]).frames
    queries = [_app(f) for f in frames if isinstance(f.packet, tl.TcpQuery)]
    assert [type(q) for q in queries] == [
        tl.WorkerConnectToProxy,
        tl.WorkerCompareBalanceWithProxy,
        tl.WorkerProxyHandshakeComplete,
        tl.WorkerUpdatePaymentStatus,
    ]
    params = queries[0].params
    assert (
        params.flags == 3
        and params.model.split("@")[0] == "Qwen/Qwen3-8B"
        and params.is_test is True
    )
