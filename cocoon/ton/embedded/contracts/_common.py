"""Helpers shared by the contract ports, after utils.fc of the mainnet sources."""

from __future__ import annotations

from typing import Any

from pytoniq_core import Address, Cell

from cocoon.ton.bodies import Excesses, Payout
from cocoon.ton.cells import Reader, cell_hash
from cocoon.ton.constants import BOUNCEABLE, ExitCode
from cocoon.ton.embedded.tvm import Context, ContractError, throw_unless
from cocoon.ton.errors import UnknownGetMethodError
from cocoon.ton.keys import verify
from cocoon.ton.messages import InternalMessage
from cocoon.ton.params import Params

CONTRACT_STRUCT_VERSION = 3  # the mainnet contracts' unpack_cocoon_params requires exactly this


def create_msg(flags: int, to: Address, value: int, body: Cell | None) -> InternalMessage:
    return InternalMessage(dest=to, value=value, body=body, bounce=flags == BOUNCEABLE)


def forward_excesses(ctx: Context, to: Address, query_id: int) -> None:
    """Everything left after the reserves goes back to `to` (non-bounceable, mode 128)."""
    ctx.send(create_msg(0x10, to, 0, Excesses(query_id=query_id).to_cell()), 128)


def payout_msg(to: Address, value: int, query_id: int) -> InternalMessage:
    return create_msg(0x10, to, value, Payout(query_id=query_id).to_cell())


def unpack_params(params: Params) -> Params:
    """`unpack_cocoon_params`: stored data with another struct_version is damaged (1008)."""
    throw_unless(ExitCode.STORED_DATA_DAMAGED, params.struct_version == CONTRACT_STRUCT_VERSION)
    return params


def unpack_signed(
    body: Reader, op: int, query_id: int, public_key: bytes
) -> tuple[Reader, Address]:
    """`signed_message_unpack_and_check_signature`: the rest of the outer body must be exactly
    (excess address, signature, ^payload); the signature covers the payload's hash."""
    send_excesses_to = body.address()
    signature = body.bytes_(64)
    payload_cell = body.ref()
    body.end()
    throw_unless(ExitCode.BAD_SIGNATURE, verify(public_key, cell_hash(payload_cell), signature))
    payload = Reader(payload_cell, "signed payload")
    op_copy = payload.uint(32)
    query_id_copy = payload.uint(64)
    throw_unless(ExitCode.SIGNED_MSG_FORMAT_MISMATCH, op_copy == op)
    throw_unless(ExitCode.SIGNED_MSG_FORMAT_MISMATCH, query_id_copy == query_id)
    return payload, send_excesses_to


def same_address(a: Address | None, b: Address | None) -> bool:
    return a is not None and b is not None and a.wc == b.wc and a.hash_part == b.hash_part


class Port:
    """A contract's behaviour. Ports are stateless: the chain passes data in and takes it out."""

    kind: str

    def internal(self, ctx: Context, body: Cell, data: Cell) -> Cell | None:
        """Handle an internal message with a non-empty body; return the new data (or None)."""
        raise ContractError(ExitCode.UNKNOWN_OP)

    def external(self, ctx: Context, body: Cell, data: Cell) -> Cell | None:
        """Handle an external message (only wallets have this)."""
        raise ContractError(ExitCode.UNKNOWN_OP)

    def get_method(self, name: str, data: Cell, args: tuple[Any, ...]) -> list[Any]:
        raise UnknownGetMethodError(f"{self.kind} has no get-method {name!r}")

    def storage(self, data: Cell) -> Any:
        """The contract's data as plain attrs (see `cocoon.ton.storage`)."""
        return data
