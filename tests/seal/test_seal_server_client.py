"""A seal server and client over 127.0.0.1 in software mode: the issue's "done when" and every
bad input on the wire."""

from __future__ import annotations

import os
import struct
from collections.abc import Awaitable, Callable

import attrs
import pytest
import trio
import trio.testing

from cocoon.ratls.dcap import UnavailableVerifier
from cocoon.ratls.quote import INTEL_QE_VENDOR_ID, AttestationData, build_sgx_quote, parse_quote
from cocoon.ratls.tdx_guest import TdxUnavailable
from cocoon.roles.seal import (
    FakeTdxGuest,
    SealAddress,
    SealFrameError,
    SealRefused,
    SealServerConfig,
    SoftwareEnclave,
    exchange_key,
    get_persistent_key,
    serve_seal,
    serve_seal_connection,
)
from cocoon.roles.seal.errors import SealUnavailable
from cocoon.roles.seal.framing import FrameDecoder, encode_frame
from cocoon.roles.seal.messages import GetPersistentKey, PersistentKey
from cocoon.roles.seal.transport import receive_frame

LOCAL = SealAddress.tcp("127.0.0.1", 0)


async def test_server_and_client_derive_a_key(seal_server, client_config):
    key = await get_persistent_key(client_config(seal_server.address))
    assert len(key) == 32
    assert await get_persistent_key(client_config(seal_server.address)) == key


async def test_restarting_both_gives_the_same_key_and_image_or_name_change_it(client_config):
    async def run_once(**client_kw) -> bytes:
        async with trio.open_nursery() as nursery:
            handle = await nursery.start(serve_seal, SealServerConfig(address=LOCAL))
            key = await get_persistent_key(client_config(handle.address, **client_kw))
            nursery.cancel_scope.cancel()
        return key

    first = await run_once()
    assert await run_once() == first
    other_image = FakeTdxGuest(mr_td=b"\x42" * 48)
    assert await run_once(fake_guest=other_image) != first
    assert await run_once(key_name="disk_encryption") != first


async def test_one_connection_may_carry_several_requests(seal_server, client_config):
    stream = await trio.open_tcp_stream("127.0.0.1", seal_server.address.port)
    async with stream:
        config = client_config(seal_server.address)
        assert await exchange_key(stream, config) == await exchange_key(stream, config)


# --- a scripted server, for answers the real one would never give ---


async def scripted_server(
    nursery: trio.Nursery, answer: Callable[[bytes], Awaitable[bytes | None]]
) -> SealAddress:
    """Reads one request frame, then sends what `answer(request_payload)` returns (raw bytes,
    frame header included) and closes; None: sends nothing and waits forever."""

    async def handler(stream: trio.SocketStream) -> None:
        async with stream:
            payload = await receive_frame(stream, FrameDecoder())
            reply = await answer(payload)
            if reply is None:
                await trio.sleep_forever()
            await stream.send_all(reply)

    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    await nursery.start(trio.serve_listeners, handler, listeners)
    return SealAddress.tcp("127.0.0.1", listeners[0].socket.getsockname()[1])


def honest(payload: bytes, enclave: SoftwareEnclave | None = None) -> PersistentKey:
    return (enclave or SoftwareEnclave()).answer(GetPersistentKey.from_bytes(payload))


async def test_answer_for_another_requests_public_key(nursery, client_config):
    stale: list[bytes] = []

    async def replay(payload: bytes) -> bytes:
        # Answer with the reply to an earlier request (a replay, or someone else's answer).
        if not stale:
            stale.append(encode_frame(honest(payload).to_bytes()))
        return stale[0]

    address = await scripted_server(nursery, replay)
    await get_persistent_key(client_config(address))  # the first answer is genuine
    with pytest.raises(SealRefused, match="another request's public key"):
        await get_persistent_key(client_config(address))


async def test_tampered_ciphertext(nursery, client_config):
    async def tamper(payload: bytes) -> bytes:
        answer = honest(payload)
        secret = answer.encrypted_secret[:-1] + bytes([answer.encrypted_secret[-1] ^ 0x80])
        return encode_frame(PersistentKey(answer.sgx_quote, secret).to_bytes())

    address = await scripted_server(nursery, tamper)
    with pytest.raises(SealRefused, match="tampered"):
        await get_persistent_key(client_config(address))


async def test_wrong_enclave_identity(nursery, client_config):
    other = SoftwareEnclave(mr_enclave=b"\x13" * 32)

    async def impostor(payload: bytes) -> bytes:
        return encode_frame(honest(payload, other).to_bytes())

    address = await scripted_server(nursery, impostor)
    with pytest.raises(SealRefused, match="MRENCLAVE validation failed"):
        await get_persistent_key(client_config(address))
    allowed = client_config(address, mr_enclave=[b"\x13" * 32])
    assert len(await get_persistent_key(allowed)) == 32


async def test_truncated_answer_frame(nursery, client_config):
    async def truncated(payload: bytes) -> bytes:
        return encode_frame(honest(payload).to_bytes())[:-10]

    address = await scripted_server(nursery, truncated)
    with pytest.raises(SealFrameError, match="truncated frame"):
        await get_persistent_key(client_config(address))


async def test_oversized_answer_frame(nursery, client_config):
    async def oversized(payload: bytes) -> bytes:
        return struct.pack("<I", 16537) + bytes(100)

    address = await scripted_server(nursery, oversized)
    with pytest.raises(SealFrameError, match="exceeds 16536"):
        await get_persistent_key(client_config(address))


async def test_server_closing_without_answer(nursery, client_config):
    async def refuse(payload: bytes) -> bytes:
        return b""

    address = await scripted_server(nursery, refuse)
    with pytest.raises(SealUnavailable, match="without an answer"):
        await get_persistent_key(client_config(address))


async def test_server_that_never_answers_over_tcp(nursery, client_config):
    async def silent(payload: bytes) -> None:
        return None

    address = await scripted_server(nursery, silent)
    with pytest.raises(SealUnavailable, match=r"no answer .* within 0\.2 s"):
        await get_persistent_key(client_config(address, timeout=0.2))


async def test_no_server_at_all(client_config):
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    await listeners[0].aclose()  # a port nobody listens on
    with pytest.raises(SealUnavailable, match="cannot connect"):
        await get_persistent_key(client_config(SealAddress.tcp("127.0.0.1", port)))


# --- the server side: bad clients are dropped, others still served ---


async def send_raw(address: SealAddress, data: bytes) -> bytes:
    """Send raw bytes, half-close, and return everything the server sends before closing."""
    stream = await trio.open_tcp_stream("127.0.0.1", address.port)
    async with stream:
        await stream.send_all(data)
        await stream.send_eof()
        received = b""
        while chunk := await stream.receive_some():
            received += chunk
        return received


@pytest.mark.parametrize(
    "garbage",
    [
        pytest.param(struct.pack("<I", 16537) + bytes(64), id="oversized"),
        pytest.param(encode_frame(bytes(200))[:-5], id="truncated"),
        pytest.param(encode_frame(b"\x1c\x82\x7a\x31 not a request"), id="bad-tl"),
        pytest.param(
            encode_frame(GetPersistentKey(bytes(1024), bytes(64), b"x").to_bytes()), id="bad-report"
        ),
    ],
)
async def test_server_drops_bad_clients_without_answer_and_keeps_serving(
    seal_server, garbage, client_config
):
    assert await send_raw(seal_server.address, garbage) == b""
    assert len(await get_persistent_key(client_config(seal_server.address))) == 32


async def test_server_serves_others_while_a_client_stalls(seal_server, client_config):
    stalled = await trio.open_tcp_stream("127.0.0.1", seal_server.address.port)
    async with stalled:
        await stalled.send_all(encode_frame(bytes(50))[:20])  # half a frame, then nothing
        with trio.fail_after(3):
            assert len(await get_persistent_key(client_config(seal_server.address))) == 32


# --- timeouts, on the autojump clock over in-memory streams ---


async def test_client_gives_up_on_a_peer_that_never_answers(autojump_clock, client_config):
    client_end, server_end = trio.testing.memory_stream_pair()
    config = client_config(SealAddress.tcp("127.0.0.1", 1), timeout=30)
    start = trio.current_time()
    with pytest.raises(SealUnavailable, match="within 30 s"):
        await exchange_key(client_end, config)
    assert trio.current_time() - start == pytest.approx(30)
    sent = await server_end.receive_some()  # the request did go out
    assert sent[4:8] == b"\x1c\x82\x7a\x31"


async def test_server_drops_a_peer_that_never_sends(autojump_clock):
    client_end, server_end = trio.testing.memory_stream_pair()
    config = SealServerConfig(address=LOCAL, timeout=7)
    start = trio.current_time()
    with trio.fail_after(60):  # a server that never drops the peer fails here, not hangs
        async with trio.open_nursery() as nursery:
            nursery.start_soon(serve_seal_connection, server_end, config)
            assert await client_end.receive_some() == b""  # closed by the server
    assert trio.current_time() - start == pytest.approx(7)


async def test_server_drops_a_peer_that_stops_mid_frame(autojump_clock):
    client_end, server_end = trio.testing.memory_stream_pair()
    config = SealServerConfig(address=LOCAL, timeout=7)
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(serve_seal_connection, server_end, config)
            await client_end.send_all(encode_frame(bytes(100))[:50])
            assert await client_end.receive_some() == b""


# --- real mode, with the hardware parts injected ---


class AcceptEverything:
    """Stands in for DCAP: accepts any quote that parses."""

    def verify(self, quote: bytes, now: int) -> AttestationData:
        return parse_quote(quote).attestation()


async def test_real_mode_client_refuses_a_software_server(seal_server, client_config):
    config = client_config(seal_server.address, mode="real", skip_validation=True)
    with pytest.raises(SealRefused, match="never accepted in real mode"):
        await get_persistent_key(config, guest=FakeTdxGuest(), verifier=AcceptEverything())


async def test_real_mode_client_takes_the_verifiers_word_for_a_signed_quote(
    nursery, seal_server, client_config
):
    enclave_id = b"\x21" * 32

    async def signed(payload: bytes) -> bytes:
        # The software enclave's answer, requoted as if by Intel's quoting enclave.
        answer = honest(payload)
        body = attrs.evolve(parse_quote(answer.sgx_quote).body, mr_enclave=enclave_id)
        quote = build_sgx_quote(body, qe_vendor_id=INTEL_QE_VENDOR_ID, signature_data=b"sig")
        return encode_frame(PersistentKey(quote, answer.encrypted_secret).to_bytes())

    address = await scripted_server(nursery, signed)
    config = client_config(address, mode="real", mr_enclave=[enclave_id])
    key = await get_persistent_key(config, guest=FakeTdxGuest(), verifier=AcceptEverything())
    assert key == await get_persistent_key(client_config(seal_server.address))
    with pytest.raises(SealRefused, match="verification failed: no DCAP"):
        await get_persistent_key(
            config, guest=FakeTdxGuest(), verifier=UnavailableVerifier("no DCAP")
        )
    with pytest.raises(SealRefused, match="MRENCLAVE validation failed"):
        other = client_config(address, mode="real", mr_enclave=[b"\x22" * 32])
        await get_persistent_key(other, guest=FakeTdxGuest(), verifier=AcceptEverything())


@pytest.mark.skipif(os.path.exists("/dev/tdx_guest"), reason="this machine is a TDX guest")
async def test_real_mode_outside_a_tdx_guest_says_so(seal_server, client_config):
    config = client_config(seal_server.address, mode="real", skip_validation=True)
    with pytest.raises(TdxUnavailable, match="TDX is not supported on this platform"):
        await get_persistent_key(config)
