"""What the seal protocol raises; each a subclass of one domain in `cocoon.errors`."""

from __future__ import annotations

from cocoon.errors import AttestationError, DecodeError, ProtocolError


class SealFrameError(ProtocolError):
    """A frame that breaks the 4-byte length framing: oversized, or cut short by EOF."""


class SealMessageError(DecodeError):
    """A frame whose payload is not the expected seal TL message, or has fields of bad size."""


class SealRefused(AttestationError):
    """A request or response failed a check: TD report, MAC, report-data binding, quote,
    enclave identity. The enclave (or client) produces nothing from it."""


class SealUnavailable(ProtocolError):
    """No answer: the seal server cannot be reached, closed without replying, or timed out."""
