"""Errors of the liteserver layer (`cocoon.ton.lite`), one type per failure domain.

Everything the layer raises on purpose is a `LiteError`, itself a `LedgerError`, so a role that
handles chain failures handles a liteserver's too. Callers that retry (the pool) tell apart:

- `LiteTransportError`: the connection (handshake, framing, a dead peer); another server or a
  reconnect may do better.
- `LiteTimeoutError`: no answer in time; same.
- `LiteServerError`: the server answered `liteServer.error`; it is an answer, not a fault.
- `LiteDecodeError`: an answer that does not parse as the TL type asked for.
- `LiteProofError`: an answer whose proof does not check (raised by the proof layer).
"""

from __future__ import annotations

from cocoon.errors import ConfigError, DecodeError
from cocoon.ton.errors import LedgerError


class LiteError(LedgerError):
    """A liteserver operation failed."""


class LiteTransportError(LiteError):
    """The ADNL connection failed: refused, closed, reset, or the peer broke the protocol."""


class LiteHandshakeError(LiteTransportError):
    """The ADNL handshake failed (wrong server key id, an init packet that does not decrypt)."""


class LiteChecksumError(LiteTransportError):
    """A packet's sha256 does not match its nonce and payload: tampered or out of sync."""


class LitePacketSizeError(LiteTransportError):
    """A packet length below the 64-byte minimum or above the size limit."""


class LiteTimeoutError(LiteError):
    """A query, connect or ping got no answer in time."""


class LiteUnavailableError(LiteError):
    """No liteserver of a pool could serve the query (all unhealthy or all failed)."""


class LiteServerError(LiteError):
    """The liteserver answered `liteServer.error code:int message:string`."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"liteserver error {code}: {message}")


class LiteDecodeError(LiteError, DecodeError):
    """Bytes from a liteserver that are not the TL value expected."""


class LiteProofError(LiteError):
    """A liteserver's answer does not prove what it claims (bad Merkle proof, broken hash chain,
    a block not linked to the trusted one): the answer is refused, never used."""


class LiteConfigError(ConfigError):
    """A TON global config (liteservers, validator) that is missing fields or malformed."""
