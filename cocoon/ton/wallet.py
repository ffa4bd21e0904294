"""CocoonWallet external messages (spec 30 section 7.2), pure.

Body: `signature:512 | subwallet:u32 | valid_until:u32 | seqno:u32 | mode_1:u8 .. mode_n:u8`,
refs = the n <= 4 message cells. The signature covers the hash of the cell formed by everything
after it. The external carries the wallet's StateInit only while its seqno is 0 (self-deploy).
"""

from __future__ import annotations

import attrs
from pytoniq_core import Address, Cell, begin_cell

from cocoon.ton.cells import Reader, cell_hash, finish, store_uint
from cocoon.ton.constants import WALLET_MAX_MESSAGES
from cocoon.ton.contracts import WalletContract
from cocoon.ton.errors import CellDecodeError, CellEncodeError
from cocoon.ton.keys import sign
from cocoon.ton.messages import ExternalMessage, InternalMessage


@attrs.frozen
class Transfer:
    """One message for a wallet to send: value to `dest`, with an optional body and StateInit.

    As the reference: bounceable unless a StateInit is attached (`bounce` says otherwise: a
    top-up of an account with no code yet must not bounce); send mode 0 when the value is
    above 1 nano, else 1 (pay fees separately, used for 1-nano state commits).
    """

    dest: Address
    value: int
    body: Cell | None = attrs.field(default=None, eq=False)
    state_init: Cell | None = attrs.field(default=None, eq=False)
    mode: int | None = None
    bounce: bool | None = None

    @property
    def send_mode(self) -> int:
        if self.mode is not None:
            return self.mode
        return 0 if self.value > 1 else 1

    def to_message(self) -> InternalMessage:
        return InternalMessage(
            dest=self.dest,
            value=self.value,
            body=self.body,
            state_init=self.state_init,
            bounce=self.state_init is None if self.bounce is None else self.bounce,
        )


@attrs.frozen
class WalletOrder:
    """The signed part of a wallet external: up to 4 (mode, message) pairs."""

    subwallet: int
    valid_until: int
    seqno: int
    messages: tuple[tuple[int, Cell], ...] = attrs.field(converter=tuple, eq=False)

    def __attrs_post_init__(self) -> None:
        if len(self.messages) > WALLET_MAX_MESSAGES:
            raise CellEncodeError(
                f"a wallet external carries at most {WALLET_MAX_MESSAGES} messages"
            )

    def unsigned_cell(self) -> Cell:
        b = begin_cell()
        store_uint(b, self.subwallet, 32)
        store_uint(b, self.valid_until, 32)
        store_uint(b, self.seqno, 32)
        for mode, _msg in self.messages:
            store_uint(b, mode, 8)
        for _mode, msg in self.messages:
            b.store_ref(msg)
        return finish(b)

    def signed_cell(self, seed: bytes) -> Cell:
        unsigned = self.unsigned_cell()
        signature = sign(seed, cell_hash(unsigned))
        return with_signature(signature, unsigned)


def with_signature(signature: bytes, unsigned: Cell) -> Cell:
    b = begin_cell().store_bytes(signature).store_bits(unsigned.bits)
    for ref in unsigned.refs:
        b.store_ref(ref)
    return finish(b)


@attrs.frozen
class SignedWalletBody:
    signature: bytes
    order: WalletOrder
    unsigned: Cell = attrs.field(eq=False)  # the cell the signature covers


def parse_wallet_body(body: Cell) -> SignedWalletBody:
    """Split a wallet external body into signature and order (no signature check here)."""
    r = Reader(body, "wallet external")
    signature = r.bytes_(64)
    unsigned = r.rest()
    u = Reader(unsigned, "wallet order")
    subwallet, valid_until, seqno = u.uint(32), u.uint(32), u.uint(32)
    count = u.refs_left
    if count > WALLET_MAX_MESSAGES:
        raise CellDecodeError("wallet external: more than 4 messages")
    modes = [u.uint(8) for _ in range(count)]
    msgs = [u.ref() for _ in range(count)]
    if u.bits_left:
        raise CellDecodeError("wallet external: mode bytes do not match the refs")
    order = WalletOrder(subwallet, valid_until, seqno, tuple(zip(modes, msgs, strict=True)))
    return SignedWalletBody(signature=signature, order=order, unsigned=unsigned)


def build_wallet_external(
    wallet: WalletContract,
    seed: bytes,
    *,
    seqno: int,
    valid_until: int,
    transfers: tuple[Transfer, ...] | list[Transfer],
    with_state_init: bool | None = None,
) -> ExternalMessage:
    """A signed external for `wallet` sending `transfers` (1..4). StateInit rides along while
    seqno is 0 unless `with_state_init` says otherwise."""
    if not 1 <= len(transfers) <= WALLET_MAX_MESSAGES:
        raise CellEncodeError(f"a wallet external carries 1..{WALLET_MAX_MESSAGES} transfers")
    order = WalletOrder(
        subwallet=wallet.subwallet,
        valid_until=valid_until,
        seqno=seqno,
        messages=tuple((t.send_mode, t.to_message().to_cell()) for t in transfers),
    )
    attach = seqno == 0 if with_state_init is None else with_state_init
    return ExternalMessage(
        dest=wallet.address,
        body=order.signed_cell(seed),
        state_init=wallet.state_init() if attach else None,
    )


def wallet_address(public_key: bytes, owner: Address, subwallet: int = 0, *, code: Cell) -> Address:
    """The address of the CocoonWallet made with `code` (the chain's: `Ledger.wallet_code()`)."""
    return WalletContract(
        public_key=public_key, owner=owner, subwallet=subwallet, code=code
    ).address
