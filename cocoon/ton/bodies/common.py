"""Bodies every contract knows, and the signed-message envelope (spec 30 sections 2.1, 2.2, 11.1)."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
from pytoniq_core import Address, Builder, Cell

from cocoon.ton.bodies._layout import (
    ADDRESS,
    BITS256,
    I32,
    MSG_ADDRESS,
    REF,
    SIGNATURE,
    U8,
    U32,
    U64,
    Body,
    Codec,
    Struct,
    field,
)
from cocoon.ton.cells import MsgAddress, Reader, cell_hash
from cocoon.ton.constants import Op
from cocoon.ton.errors import CellDecodeError


@attrs.frozen
class Excesses(Body):
    """Leftover value returned to `send_excesses_to`."""

    OP = Op.EXCESSES
    query_id: int = field(U64)


@attrs.frozen
class Payout(Body):
    """Real money paid out by a proxy contract (to worker, client or proxy owner)."""

    OP = Op.PAYOUT
    query_id: int = field(U64)


class _Rest(Codec):
    """Everything left in the cell, bits and refs, kept as one cell."""

    def store(self, b: Builder, value: Cell) -> None:
        b.store_bits(value.bits)
        for ref in value.refs:
            b.store_ref(ref)

    def load(self, r: Reader) -> Cell:
        return r.rest()

    def validate(self, value: Any) -> None:
        if not isinstance(value, Cell):
            raise ValueError(f"expected a Cell, got {value!r}")


@attrs.frozen
class DoNotProcess(Body):
    """Ignored by every contract; the rest of the body is arbitrary."""

    OP = Op.DO_NOT_PROCESS
    rest: Cell = field(_Rest())


def _is_save_state(_inst: object, _attr: attrs.Attribute, value: int) -> None:
    if value != Op.PROXY_SAVE_STATE:
        raise ValueError(f"inner_op must be 0x{Op.PROXY_SAVE_STATE:08x}, got 0x{value:08x}")


@attrs.frozen
class ProxySaveState(Body):
    """A proxy's state commit (section 11.1): a do_not_process the runner reads back from the chain."""

    OP = Op.DO_NOT_PROCESS
    query_id: int = field(U64)
    seqno: int = field(I32)
    session_hash: bytes = field(BITS256)
    inner_op: int = attrs.field(
        default=int(Op.PROXY_SAVE_STATE),
        validator=_is_save_state,
        metadata={"codec": U32},
    )

    def write(self, b: Builder) -> None:
        # Wire order: op, query_id, inner_op, seqno, session_hash.
        b.store_uint(int(self.OP), 32).store_uint(self.query_id, 64)
        U32.store(b, self.inner_op)
        I32.store(b, self.seqno)
        BITS256.store(b, self.session_hash)

    @classmethod
    def _read_fields(cls, r: Reader) -> ProxySaveState:
        query_id = r.uint(64)
        inner = r.uint(32)
        seqno = r.sint(32)
        session_hash = r.bytes_(32)
        try:
            return cls(query_id=query_id, seqno=seqno, session_hash=session_hash, inner_op=inner)
        except ValueError as exc:
            raise CellDecodeError(f"ProxySaveState: {exc}") from exc


@attrs.frozen
class TextCommand(Body):
    """op 0 + one ASCII byte: proxy `c`/`w`, wallet `w`/`b`/`u`. No query_id."""

    OP = Op.TEXT
    action: int = field(U8)

    @classmethod
    def of(cls, char: str) -> TextCommand:
        return cls(action=ord(char))

    @property
    def char(self) -> str:
        return chr(self.action)


@attrs.frozen
class TokensPayload(Struct):
    """Signed payload of charges, refunds and payouts: op, query_id, new_tokens, expected address."""

    op: int = field(U32)
    query_id: int = field(U64)
    tokens: int = field(U64)
    address: Address = field(ADDRESS)


@attrs.frozen
class AddressPayload(Struct):
    """Signed payload of proxy close ops: op, query_id, expected proxy address."""

    op: int = field(U32)
    query_id: int = field(U64)
    address: Address = field(ADDRESS)


@attrs.frozen
class SignedBody(Body):
    """The envelope: op, query_id, send_excesses_to, 512-bit signature, ^payload.

    `payload` is kept as the exact signed cell, so re-wrapping (`with_excesses_to`) never
    changes what the signature covers. `payload_data()` parses it.
    """

    PAYLOAD: ClassVar[type[Struct]] = TokensPayload
    query_id: int = field(U64)
    send_excesses_to: MsgAddress = field(MSG_ADDRESS)
    signature: bytes = field(SIGNATURE)
    payload: Cell = field(REF)

    def payload_data(self) -> Any:
        return self.PAYLOAD.from_cell(self.payload)

    def signed_hash(self) -> bytes:
        return cell_hash(self.payload)

    def with_excesses_to(self, address: MsgAddress) -> SignedBody:
        """The same signed message with another excess address ("repack", section 9.4)."""
        return attrs.evolve(self, send_excesses_to=address)
