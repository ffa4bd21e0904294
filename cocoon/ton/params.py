"""The params cell shared by root, proxy, client and worker (spec 30 section 3.2).

Its bits are hashed into every proxy, client and worker address, so it must be rebuilt exactly
as the root holds it: same struct_version, same fields, same codes for the given mask.
struct_version 0..4 are read (4 has the field list of 3); contracts are built with 3, which is
what mainnet runs.
"""

from __future__ import annotations

import attrs
from pytoniq_core import Cell, begin_cell

from cocoon.ton.cells import Reader, finish, store_coins, store_uint
from cocoon.ton.constants import MULTIPLIER_ONE, ONE_TON
from cocoon.ton.errors import BadStructVersionError, CellDecodeError

MAX_STRUCT_VERSION = 4
BUILD_STRUCT_VERSION = 3

# Which codes a params cell carries (RootContractConfig::serialize_params_cell(mask)).
MASK_PROXY_CODE = 1
MASK_WORKER_CODE = 2
MASK_CLIENT_CODE = 4
MASK_ROOT = 7  # the root keeps all codes
MASK_PROXY = 6  # the proxy contract keeps worker and client code (to check its children)
MASK_NONE = 0  # client and worker contracts keep none


def _u32(_inst: object, attr: attrs.Attribute, value: int) -> None:
    if not isinstance(value, int) or not 0 <= value < 1 << 32:
        raise ValueError(f"{attr.name} must be a u32, got {value!r}")


def _coins(_inst: object, attr: attrs.Attribute, value: int) -> None:
    if not isinstance(value, int) or not 0 <= value < 1 << 120:
        raise ValueError(f"{attr.name} must be a Coins amount, got {value!r}")


def _struct_version(_inst: object, attr: attrs.Attribute, value: int) -> None:
    if not isinstance(value, int) or not 0 <= value <= MAX_STRUCT_VERSION:
        raise ValueError(f"struct_version must be 0..{MAX_STRUCT_VERSION}, got {value!r}")


_optional_cell = attrs.validators.optional(attrs.validators.instance_of(Cell))


@attrs.frozen(eq=False)
class Params:
    """The root's params. Prices are nano-TON per adjusted token; delays are seconds."""

    params_version: int = attrs.field(validator=_u32)
    unique_id: int = attrs.field(validator=_u32)
    is_test: bool = attrs.field(converter=bool)
    price_per_token: int = attrs.field(validator=_coins)
    worker_fee_per_token: int = attrs.field(validator=_coins)
    proxy_delay_before_close: int = attrs.field(validator=_u32)
    client_delay_before_close: int = attrs.field(validator=_u32)
    min_proxy_stake: int = attrs.field(default=ONE_TON, validator=_coins)
    min_client_stake: int = attrs.field(default=ONE_TON, validator=_coins)
    prompt_tokens_price_multiplier: int = attrs.field(default=MULTIPLIER_ONE, validator=_u32)
    cached_tokens_price_multiplier: int = attrs.field(default=MULTIPLIER_ONE, validator=_u32)
    completion_tokens_price_multiplier: int = attrs.field(default=MULTIPLIER_ONE, validator=_u32)
    reasoning_tokens_price_multiplier: int = attrs.field(default=MULTIPLIER_ONE, validator=_u32)
    proxy_sc_code: Cell | None = attrs.field(default=None, validator=_optional_cell)
    worker_sc_code: Cell | None = attrs.field(default=None, validator=_optional_cell)
    client_sc_code: Cell | None = attrs.field(default=None, validator=_optional_cell)
    struct_version: int = attrs.field(default=BUILD_STRUCT_VERSION, validator=_struct_version)

    def __eq__(self, other: object) -> bool:
        # Equal when they serialize to the same cell (codes compare by hash).
        if not isinstance(other, Params):
            return NotImplemented
        return self.to_cell().get_hash(0) == other.to_cell().get_hash(0)

    def __hash__(self) -> int:
        return hash(self.to_cell().get_hash(0))

    def to_cell(self, mask: int = MASK_ROOT) -> Cell:
        """The params cell with the codes selected by `mask` (absent codes stay absent)."""
        v = self.struct_version
        b = begin_cell()
        store_uint(b, v, 8)
        store_uint(b, self.params_version, 32)
        store_uint(b, self.unique_id, 32)
        store_uint(b, int(self.is_test), 1)
        store_coins(b, self.price_per_token)
        store_coins(b, self.worker_fee_per_token)
        if v >= 3:
            store_uint(b, self.prompt_tokens_price_multiplier, 32)
        if v >= 2:
            store_uint(b, self.cached_tokens_price_multiplier, 32)
        if v >= 3:
            store_uint(b, self.completion_tokens_price_multiplier, 32)
        if v >= 2:
            store_uint(b, self.reasoning_tokens_price_multiplier, 32)
        store_uint(b, self.proxy_delay_before_close, 32)
        store_uint(b, self.client_delay_before_close, 32)
        if v >= 1:
            store_coins(b, self.min_proxy_stake)
            store_coins(b, self.min_client_stake)
        b.store_maybe_ref(self.proxy_sc_code if mask & MASK_PROXY_CODE else None)
        b.store_maybe_ref(self.worker_sc_code if mask & MASK_WORKER_CODE else None)
        b.store_maybe_ref(self.client_sc_code if mask & MASK_CLIENT_CODE else None)
        return finish(b)

    @classmethod
    def from_cell(cls, cell: Cell) -> Params:
        r = Reader(cell, "params")
        v = r.uint(8)
        if v > MAX_STRUCT_VERSION:
            raise BadStructVersionError(f"params struct_version {v} (this code reads 0..4)")
        fields: dict = {"struct_version": v}
        fields["params_version"] = r.uint(32)
        fields["unique_id"] = r.uint(32)
        fields["is_test"] = r.bit()
        fields["price_per_token"] = r.coins()
        fields["worker_fee_per_token"] = r.coins()
        if v >= 3:
            fields["prompt_tokens_price_multiplier"] = r.uint(32)
        if v >= 2:
            fields["cached_tokens_price_multiplier"] = r.uint(32)
        if v >= 3:
            fields["completion_tokens_price_multiplier"] = r.uint(32)
        if v >= 2:
            fields["reasoning_tokens_price_multiplier"] = r.uint(32)
        fields["proxy_delay_before_close"] = r.uint(32)
        fields["client_delay_before_close"] = r.uint(32)
        if v >= 1:
            fields["min_proxy_stake"] = r.coins()
            fields["min_client_stake"] = r.coins()
        fields["proxy_sc_code"] = r.maybe_ref()
        fields["worker_sc_code"] = r.maybe_ref()
        fields["client_sc_code"] = r.maybe_ref()
        r.end()
        try:
            return cls(**fields)
        except ValueError as exc:
            raise CellDecodeError(f"params: {exc}") from exc

    def without_codes(self) -> Params:
        return attrs.evolve(self, proxy_sc_code=None, worker_sc_code=None, client_sc_code=None)

    @property
    def multipliers(self) -> tuple[int, int, int, int]:
        """(prompt, cached, completion, reasoning), scale 10000."""
        return (
            self.prompt_tokens_price_multiplier,
            self.cached_tokens_price_multiplier,
            self.completion_tokens_price_multiplier,
            self.reasoning_tokens_price_multiplier,
        )

    @classmethod
    def reference_fake(cls, **changes: object) -> Params:
        """The values the reference fills in for its fake-TON pseudo root config (section 13)."""
        base = cls(
            struct_version=1,
            params_version=1,
            unique_id=13,
            is_test=True,
            price_per_token=2,
            worker_fee_per_token=1,
            proxy_delay_before_close=600,
            client_delay_before_close=300,
        )
        return attrs.evolve(base, **changes)
