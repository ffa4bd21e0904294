"""The SOCKS5 subset (spec 20 section 6.2): sans-IO parsers and the trio dialer."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from cocoon.net import socks5


def test_messages_round_trip():
    assert socks5.parse_greeting(socks5.encode_greeting((0, 2))) == (socks5.Greeting((0, 2)), 4)
    req = socks5.encode_connect("127.0.0.1", 11002)
    assert req == bytes.fromhex("050100017f0000012afa")
    assert socks5.parse_connect(req) == (socks5.Address("127.0.0.1", 11002), 10)
    rep = socks5.encode_reply("::1", 80)
    assert socks5.parse_reply(rep) == (socks5.Address("::1", 80), len(rep))
    auth = socks5.encode_userpass("tdx")
    assert socks5.parse_userpass(auth) == (socks5.UserPass("tdx", ""), len(auth))


def test_partial_input_asks_for_more():
    req = socks5.encode_connect("10.0.0.2", 1)
    for cut in range(len(req)):
        assert socks5.parse_connect(req[:cut]) is None


@pytest.mark.parametrize(
    ("parse", "data"),
    [
        (socks5.parse_greeting, b"\x04\x01\x00"),  # SOCKS4
        (socks5.parse_connect, b"\x05\x02\x00\x01" + bytes(6)),  # BIND
        (socks5.parse_connect, b"\x05\x01\x00\x03\x05hello\x00\x50"),  # domain name
        (socks5.parse_connect, b"\x05\x01\x00\x04" + bytes(18)),  # IPv6 target
        (socks5.parse_reply, b"\x05\x05\x00\x01" + bytes(6)),  # refused
        (socks5.parse_userpass, b"\x02\x01a\x00"),
    ],
)
def test_outside_the_subset_is_refused(parse, data):
    with pytest.raises(socks5.Socks5Error):
        parse(data)


@pytest.mark.parametrize(
    ("data", "reply"),
    [
        (b"\x05\x02\x00\x01" + bytes(6), 0x07),  # BIND
        (b"\x05\x03\x00\x01" + bytes(6), 0x07),  # UDP ASSOCIATE
        (b"\x05\x01\x00\x03\x05hello\x00\x50", 0x08),  # domain name
        (b"\x05\x01\x00\x04" + bytes(18), 0x08),  # IPv6
    ],
)
def test_unsupported_requests_name_their_rfc_1928_reply(data, reply):
    with pytest.raises(socks5.Socks5Unsupported) as e:
        socks5.parse_connect(data)
    assert e.value.reply == reply
    assert socks5.encode_failure(reply) == bytes([5, reply, 0, 1, 0, 0, 0, 0, 0, 0])


def test_ipv6_targets_cannot_be_requested():
    with pytest.raises(socks5.Socks5Error):
        socks5.encode_connect("::1", 80)


async def _fake_router(stream, *, expect_auth, trailing=b""):
    buf = b""
    while socks5.parse_greeting(buf) is None:
        buf += await stream.receive_some()
    greeting, used = socks5.parse_greeting(buf)
    buf = buf[used:]
    if expect_auth:
        assert socks5.METHOD_USERNAME in greeting.methods
        await stream.send_all(socks5.encode_method_choice(socks5.METHOD_USERNAME))
        while socks5.parse_userpass(buf) is None:
            buf += await stream.receive_some()
        auth, used = socks5.parse_userpass(buf)
        buf = buf[used:]
        await stream.send_all(socks5.encode_auth_status(auth.username == "tdx"))
        if auth.username != "tdx":
            return None
    else:
        await stream.send_all(socks5.encode_method_choice(socks5.METHOD_NO_AUTH))
    while socks5.parse_connect(buf) is None:
        buf += await stream.receive_some()
    target, _ = socks5.parse_connect(buf)
    await stream.send_all(socks5.encode_reply("127.0.0.1", 5555) + trailing)
    return target


@pytest.mark.parametrize("username", [None, "tdx"])
async def test_dialer_through_a_router(username):
    client, router = trio.testing.memory_stream_pair()
    async with trio.open_nursery() as nursery:
        result = {}

        async def serve():
            result["target"] = await _fake_router(
                router, expect_auth=username is not None, trailing=b"PRE"
            )

        nursery.start_soon(serve)
        stream = await socks5.socks5_connect(client, "10.0.0.2", 11001, username=username)
        assert await stream.receive_some(10) == b"PRE"  # bytes after the reply are not lost
    assert result["target"] == socks5.Address("10.0.0.2", 11001)


async def test_dialer_refused_policy():
    client, router = trio.testing.memory_stream_pair()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(lambda: _fake_router(router, expect_auth=True))
        with pytest.raises(socks5.Socks5Error, match="refused policy"):
            await socks5.socks5_connect(client, "10.0.0.2", 1, username="nope")


async def test_dialer_sees_a_closed_router():
    client, router = trio.testing.memory_stream_pair()
    await router.aclose()
    with pytest.raises((socks5.Socks5Error, trio.BrokenResourceError)):
        await socks5.socks5_connect(client, "10.0.0.2", 1)
