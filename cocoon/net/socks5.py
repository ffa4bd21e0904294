"""The SOCKS5 subset spoken between inner services and their local router (RFC 1928/1929).

Spec 20 section 6.2: no-auth (`00`) or username/password (`02`, the username names a policy),
CONNECT only, IPv4 targets only, ports big-endian. A request outside that gets the failure reply
of RFC 1928 section 6 (07 for BIND and UDP ASSOCIATE, 08 for a domain or IPv6 address), a
greeting without an acceptable method `05 FF` (section 3), and the connection is closed. The parsers are sans-IO: each takes the bytes
received so far and returns `(message, bytes consumed)`, or `None` while the message is still
incomplete; bytes that can never become a valid message raise `Socks5Error`.
`socks5_connect` is the thin trio driver a dialer (worker, client) uses.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Callable
from typing import TypeVar

import attrs
import trio

from cocoon.errors import ProtocolError
from cocoon.net.streams import PrefixedStream

VERSION = 5
AUTH_VERSION = 1
METHOD_NO_AUTH = 0x00
METHOD_USERNAME = 0x02
CMD_CONNECT = 0x01
ATYP_IPV4 = 0x01
ATYP_DOMAIN = 0x03
ATYP_IPV6 = 0x04
METHOD_NONE_ACCEPTABLE = 0xFF
REPLY_SUCCEEDED = 0x00
REPLY_COMMAND_NOT_SUPPORTED = 0x07
REPLY_ADDRESS_TYPE_NOT_SUPPORTED = 0x08
T = TypeVar("T")


class Socks5Error(ProtocolError):
    """Bytes that are not the SOCKS5 subset cocoon's routers speak, or a refused request."""


class Socks5Unsupported(Socks5Error):
    """A well-formed request the router does not serve; `reply` is the failure code to answer
    with (RFC 1928 section 6) before closing."""

    def __init__(self, message: str, reply: int) -> None:
        super().__init__(message)
        self.reply = reply


@attrs.frozen
class Greeting:
    methods: tuple[int, ...]


@attrs.frozen
class UserPass:
    username: str
    password: str


@attrs.frozen
class Address:
    """A CONNECT target or a reply's bound address."""

    host: str
    port: int


def encode_greeting(methods: tuple[int, ...]) -> bytes:
    if not 1 <= len(methods) <= 255:
        raise Socks5Error("a greeting offers 1..255 methods")
    return bytes([VERSION, len(methods), *methods])


def parse_greeting(buf: bytes) -> tuple[Greeting, int] | None:
    if len(buf) < 2:
        return None
    if buf[0] != VERSION:
        raise Socks5Error(f"SOCKS version {buf[0]}, expected 5")
    n = buf[1]
    if len(buf) < 2 + n:
        return None
    return Greeting(methods=tuple(buf[2 : 2 + n])), 2 + n


def encode_method_choice(method: int) -> bytes:
    return bytes([VERSION, method])


def parse_method_choice(buf: bytes) -> tuple[int, int] | None:
    if len(buf) < 2:
        return None
    if buf[0] != VERSION:
        raise Socks5Error(f"SOCKS version {buf[0]} in the method choice")
    return buf[1], 2


def encode_userpass(username: str, password: str = "") -> bytes:
    user, pw = username.encode(), password.encode()
    if not 1 <= len(user) <= 255 or len(pw) > 255:
        raise Socks5Error("SOCKS5 username must be 1..255 bytes, password at most 255")
    return bytes([AUTH_VERSION, len(user), *user, len(pw), *pw])


def parse_userpass(buf: bytes) -> tuple[UserPass, int] | None:
    if len(buf) < 2:
        return None
    if buf[0] != AUTH_VERSION:
        raise Socks5Error(f"username/password auth version {buf[0]}, expected 1")
    ulen = buf[1]
    if len(buf) < 3 + ulen:
        return None
    plen = buf[2 + ulen]
    end = 3 + ulen + plen
    if len(buf) < end:
        return None
    user = bytes(buf[2 : 2 + ulen]).decode("utf-8", "replace")
    pw = bytes(buf[3 + ulen : end]).decode("utf-8", "replace")
    return UserPass(user, pw), end


def encode_auth_status(ok: bool) -> bytes:
    return bytes([AUTH_VERSION, 0 if ok else 1])


def parse_auth_status(buf: bytes) -> tuple[bool, int] | None:
    if len(buf) < 2:
        return None
    return buf[1] == 0, 2


def _encode_address(host: str, port: int) -> bytes:
    ip = ipaddress.ip_address(host)
    atyp = ATYP_IPV4 if ip.version == 4 else ATYP_IPV6
    return bytes([atyp]) + ip.packed + struct.pack(">H", port)


def _parse_address(buf: bytes, pos: int, *, allow_ipv6: bool) -> tuple[Address, int] | None:
    if len(buf) < pos + 1:
        return None
    atyp = buf[pos]
    if atyp == ATYP_IPV4:
        size = 4
    elif atyp == ATYP_IPV6 and allow_ipv6:
        size = 16
    else:
        raise Socks5Unsupported(
            f"address type {atyp} is not supported (IPv4 only)", REPLY_ADDRESS_TYPE_NOT_SUPPORTED
        )
    end = pos + 1 + size + 2
    if len(buf) < end:
        return None
    host = str(ipaddress.ip_address(bytes(buf[pos + 1 : pos + 1 + size])))
    (port,) = struct.unpack_from(">H", buf, pos + 1 + size)
    return Address(host, port), end


def encode_connect(host: str, port: int) -> bytes:
    if ipaddress.ip_address(host).version != 4:
        raise Socks5Error("routers accept IPv4 CONNECT targets only")
    return bytes([VERSION, CMD_CONNECT, 0]) + _encode_address(host, port)


def parse_connect(buf: bytes) -> tuple[Address, int] | None:
    if len(buf) < 3:
        return None
    if buf[0] != VERSION:
        raise Socks5Error(f"SOCKS version {buf[0]} in the request")
    if buf[1] != CMD_CONNECT:
        raise Socks5Unsupported(
            f"SOCKS command {buf[1]} is not CONNECT", REPLY_COMMAND_NOT_SUPPORTED
        )
    return _parse_address(buf, 3, allow_ipv6=False)


def encode_reply(host: str, port: int, status: int = REPLY_SUCCEEDED) -> bytes:
    return bytes([VERSION, status, 0]) + _encode_address(host, port)


def encode_failure(reply: int) -> bytes:
    """A failure reply: the code, and an all-zero IPv4 bound address (RFC 1928 section 6)."""
    return bytes([VERSION, reply, 0, ATYP_IPV4, 0, 0, 0, 0, 0, 0])


def parse_reply(buf: bytes) -> tuple[Address, int] | None:
    if len(buf) < 3:
        return None
    if buf[0] != VERSION:
        raise Socks5Error(f"SOCKS version {buf[0]} in the reply")
    if buf[1] != REPLY_SUCCEEDED:
        raise Socks5Error(f"the router refused the connection (SOCKS reply {buf[1]})")
    return _parse_address(buf, 3, allow_ipv6=True)


async def _receive(
    stream: trio.abc.ReceiveStream, buf: bytearray, parse: Callable[[bytes], tuple[T, int] | None]
) -> T:
    while (parsed := parse(bytes(buf))) is None:
        chunk = await stream.receive_some(512)
        if not chunk:
            raise Socks5Error("the router closed the connection during the SOCKS5 exchange")
        buf += chunk
    value, used = parsed
    del buf[:used]
    return value


async def socks5_connect(
    stream: trio.abc.Stream, host: str, port: int, *, username: str | None = None
) -> trio.abc.Stream:
    """Ask the router at the other end of `stream` to CONNECT to `host:port`.

    With `username` (a policy name on the router) offers `00 02` and authenticates, as the
    reference's SOCKS5 client does. Returns the stream to use from then on: `stream` itself, or
    a wrapper that first yields bytes that arrived together with the reply (the router's
    preamble may follow it closely).
    """
    methods = (METHOD_NO_AUTH,) if username is None else (METHOD_NO_AUTH, METHOD_USERNAME)
    await stream.send_all(encode_greeting(methods))
    buf = bytearray()
    method = await _receive(stream, buf, parse_method_choice)
    if method == METHOD_USERNAME and username is not None:
        await stream.send_all(encode_userpass(username))
        if not await _receive(stream, buf, parse_auth_status):
            raise Socks5Error(f"the router refused policy {username!r}")
    elif method != METHOD_NO_AUTH:
        raise Socks5Error(f"the router chose SOCKS5 method {method}")
    await stream.send_all(encode_connect(host, port))
    await _receive(stream, buf, parse_reply)
    return PrefixedStream(stream, bytes(buf)) if buf else stream
