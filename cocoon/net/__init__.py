"""The one stream abstraction: frames over any `trio.abc.Stream`, the `tcp.*` packet layer and
TL query/answer sessions, the router's preamble, and the SOCKS5 subset used to reach a router.

    async with open_session(stream, role=Role.DIALER, handler=handler) as session:
        types = await session.query(tl.ClientGetWorkerTypesV2(), timeout=10)

The codecs (`framing`, `preamble`, `socks5` parsers, `capture`) are sans-IO; `session` is the
trio driver.
"""

from cocoon.net.framing import FrameDecoder, FrameEncoder, FrameError, encode_frame
from cocoon.net.preamble import AttestedPeerInfo, PreambleError, encode_preamble
from cocoon.net.session import (
    QueryError,
    QueryTimeout,
    Role,
    Session,
    SessionClosed,
    SessionConfig,
    SessionHandler,
    open_session,
    serve_session,
)
from cocoon.net.socks5 import Socks5Error, socks5_connect
from cocoon.net.streams import PrefixedStream

__all__ = [
    "AttestedPeerInfo",
    "FrameDecoder",
    "FrameEncoder",
    "FrameError",
    "PreambleError",
    "PrefixedStream",
    "QueryError",
    "QueryTimeout",
    "Role",
    "Session",
    "SessionClosed",
    "SessionConfig",
    "SessionHandler",
    "Socks5Error",
    "encode_frame",
    "encode_preamble",
    "open_session",
    "serve_session",
    "socks5_connect",
]
