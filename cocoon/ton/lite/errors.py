"""Errors of the liteserver backend (`cocoon.ton.lite`), under the ledger's domain."""

from __future__ import annotations

from cocoon.ton.errors import LedgerError


class LiteError(LedgerError):
    """A liteserver operation failed."""


class LiteProofError(LiteError):
    """A liteserver's answer does not prove what it claims (bad Merkle proof, broken hash chain,
    a block not linked to the trusted one): the answer is refused, never used."""
