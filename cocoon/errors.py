"""The root of cocoon's exception tree: one base per failure domain.

Every layer raises a subclass of one of these, so the edges (HTTP handlers, the CLI, a
connection's supervisor) can map a whole domain to one clear message without catching
programming errors such as `TypeError` by accident.
"""

from __future__ import annotations


class CocoonError(Exception):
    """Base of every error cocoon raises on purpose."""


class DecodeError(CocoonError, ValueError):
    """Bytes that do not parse: TL objects, frames, cells, quotes, certificates."""


class EncodeError(CocoonError, ValueError):
    """A value that cannot be written in the requested wire format."""


class ProtocolError(CocoonError):
    """A peer broke the protocol: wrong message for the state, bad sequence number, ..."""


class AttestationError(CocoonError):
    """A peer's attestation (quote, certificate, image hash, policy) was not accepted."""


class PaymentError(CocoonError):
    """A payment, signature or balance check failed."""


class ConfigError(CocoonError, ValueError):
    """A configuration value is missing or invalid; raised at start-up, not deep in a task."""
