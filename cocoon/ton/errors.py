"""Errors of the TON layer, each under the domain base of `cocoon.errors`.

Decoding problems (cells, bodies, BOCs) are `DecodeError`s; payment checks are `PaymentError`s;
what a chain refuses is a `LedgerError`, carrying the contract's exit code where there is one.
"""

from __future__ import annotations

from cocoon.errors import CocoonError, DecodeError, EncodeError, PaymentError


class CellDecodeError(DecodeError):
    """A cell does not have the expected layout (too short, extra data, wrong tag)."""


class CellEncodeError(EncodeError):
    """A value does not fit the cell field it is written to."""


class UnknownOpcodeError(CellDecodeError):
    """A message body starts with an opcode the named contract does not have."""

    def __init__(self, op: int, contract: str) -> None:
        self.op = op
        self.contract = contract
        super().__init__(f"unknown opcode 0x{op:08x} for {contract}")


class BadStructVersionError(CellDecodeError):
    """A params cell with a struct_version this code cannot read."""


class MalformedPaymentError(PaymentError, DecodeError):
    """Signed payment bytes that do not parse as the expected envelope."""


class WrongPaymentOpError(PaymentError):
    """A signed payment with an opcode other than the one expected (e.g. a refund offered as a charge)."""


class BadPaymentSignatureError(PaymentError):
    """The proxy's Ed25519 signature over the payload does not verify."""


class WrongPaymentContractError(PaymentError):
    """The signed payload names another contract than ours."""


class StalePaymentError(PaymentError):
    """A signed payment for fewer tokens than already settled or known."""


class InsufficientFundsError(PaymentError):
    """A wallet cannot cover the transfers asked of it (balance, reserve, or the 2 TON floor)."""


class LedgerError(CocoonError):
    """A chain operation failed."""


class ExternalRejectedError(LedgerError):
    """An external message was not accepted (no transaction, nothing changed)."""

    def __init__(self, exit_code: int, reason: str = "") -> None:
        self.exit_code = exit_code
        self.reason = reason
        super().__init__(
            f"external message rejected with exit code {exit_code}{': ' + reason if reason else ''}"
        )


class UnknownGetMethodError(LedgerError):
    """The contract has no get-method of that name (TVM exit code 11)."""


class AccountNotFoundError(LedgerError):
    """The account is not active, so it has no code to run."""


class WalletTimeoutError(LedgerError):
    """A wallet external was not executed before its valid_until passed."""
