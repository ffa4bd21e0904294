"""Helpers shared by the contract ports, after utils.fc of the mainnet sources."""

from __future__ import annotations

from typing import Any

from pytoniq_core import Address, Cell, begin_cell

from cocoon.ton.bodies import Excesses, Payout
from cocoon.ton.cells import MsgAddress, OtherAddress, Reader, cell_hash, store_msg_address
from cocoon.ton.constants import BOUNCEABLE, ExitCode
from cocoon.ton.embedded.tvm import Context, ContractError, throw, throw_unless
from cocoon.ton.errors import UnknownGetMethodError
from cocoon.ton.keys import verify
from cocoon.ton.messages import InternalMessage
from cocoon.ton.params import Params

CONTRACT_STRUCT_VERSION = 3  # the mainnet contracts' unpack_cocoon_params requires exactly this


def create_msg(flags: int, to: Address, value: int, body: Cell | None) -> InternalMessage:
    return InternalMessage(dest=to, value=value, body=body, bounce=flags == BOUNCEABLE)


U32_LIMIT = 1 << 32


def inc_u32(value: int) -> int:
    """`value + 1` for a field FunC stores with `store_uint(x, 32)`: at 2^32 - 1 the store
    fails with a range check (exit 5) instead of wrapping."""
    if value + 1 >= U32_LIMIT:
        throw(ExitCode.RANGE_CHECK)
    return value + 1


def forward_excesses(ctx: Context, to: MsgAddress, query_id: int) -> None:
    """Everything left after the reserves goes back to `to` (non-bounceable, mode 128).

    The FunC builds this message whatever `to` is (`load_msg_addr` took any MsgAddress); TON's
    action phase cannot deliver to addr_none, addr_extern or anycast and fails with 34 (and
    rewrites a 256-bit addr_var to the addr_std it is)."""
    std = to.as_std() if isinstance(to, OtherAddress) else to
    dest = to if std is None else std
    ctx.send(simple_msg(0x10, dest, 0, Excesses(query_id=query_id).to_cell()), 128)


def simple_msg(flags: int, to: MsgAddress, value: int, body: Cell) -> Cell:
    """The raw message common.fc's `send_simple` builds: the 6 bits of `flags` (int_msg_info$0,
    ihr_disabled, bounce, bounced, src addr_none), `to`, `value`, zero fees, lt and time, no
    StateInit, and the body (op and query id) inline in the message cell. Its place matters
    for fees: TON's forwarding fee counts a body in a ref, not one in the root."""
    b = begin_cell().store_uint(flags, 6)
    store_msg_address(b, to)
    b.store_coins(value)
    b.store_uint(0, 1 + 4 + 4 + 64 + 32).store_uint(0, 1).store_uint(0, 1)
    return b.store_cell(body).end_cell()


def payout_msg(to: Address, value: int, query_id: int) -> Cell:
    return simple_msg(0x10, to, value, Payout(query_id=query_id).to_cell())


def unpack_params(params: Params) -> Params:
    """`unpack_cocoon_params`: stored data with another struct_version is damaged (1008)."""
    throw_unless(ExitCode.STORED_DATA_DAMAGED, params.struct_version == CONTRACT_STRUCT_VERSION)
    return params


def unpack_signed(
    body: Reader, op: int, query_id: int, public_key: bytes
) -> tuple[Reader, MsgAddress]:
    """`signed_message_unpack_and_check_signature`: the rest of the outer body must be exactly
    (excess address, signature, ^payload); the signature covers the payload's hash."""
    send_excesses_to = body.msg_address()
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


def same_address(a: MsgAddress, b: MsgAddress) -> bool:
    """FunC's `equal_slices` on two addresses, where one is a sender (always `addr_std`
    without anycast): any other form never equals it."""
    return (
        isinstance(a, Address)
        and isinstance(b, Address)
        and a.wc == b.wc
        and a.hash_part == b.hash_part
    )


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
