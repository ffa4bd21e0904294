"""What a contract port sees of the TVM: the inbound context, `throw`, reserves and sends.

A port reads its body and data like the FunC does; every `CellDecodeError` raised while doing
so is a cell underflow (exit code 9), as in the TVM. Output actions are recorded here and
applied by the chain's action phase after the handler returns.
"""

from __future__ import annotations

from typing import NoReturn

import attrs
from pytoniq_core import Address, Cell

from cocoon.ton.constants import ExitCode
from cocoon.ton.messages import InternalMessage


class ContractError(Exception):
    """`throw(code)` inside a contract: the transaction fails with this exit code."""

    def __init__(self, exit_code: int) -> None:
        self.exit_code = int(exit_code)
        super().__init__(f"exit code {self.exit_code}")


def throw(code: int) -> NoReturn:
    raise ContractError(code)


def throw_unless(code: int, condition: bool) -> None:
    if not condition:
        raise ContractError(code)


def throw_if(code: int, condition: bool) -> None:
    if condition:
        raise ContractError(code)


@attrs.frozen
class Reserve:
    amount: int
    mode: int


@attrs.frozen
class Send:
    message: InternalMessage | Cell  # a Cell is a raw message (wallets send those)
    mode: int


@attrs.define
class Context:
    """One compute phase."""

    my_address: Address
    my_balance: int  # after crediting the inbound value
    msg_value: int
    sender: Address | None  # None for externals
    now: int
    bounced: bool = False
    actions: list[Reserve | Send] = attrs.field(factory=list)
    accepted: bool = False  # externals: accept_message() was called
    new_code: Cell | None = None

    def accept_message(self) -> None:
        self.accepted = True

    def raw_reserve(self, amount: int, mode: int) -> None:
        if not 0 <= amount < 1 << 120:
            raise ContractError(ExitCode.RANGE_CHECK)
        self.actions.append(Reserve(amount, mode))

    def send(self, message: InternalMessage | Cell, mode: int) -> None:
        self.actions.append(Send(message, mode))

    def set_code(self, code: Cell) -> None:
        self.new_code = code
