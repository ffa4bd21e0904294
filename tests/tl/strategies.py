"""Hypothesis strategies for every TL class, derived from the generated field descriptions."""

from __future__ import annotations

from functools import cache

from hypothesis import strategies as st

from cocoon import tl

_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
_SCALARS = {
    "int": st.integers(-(2**31), 2**31 - 1),
    "long": st.integers(-(2**63), 2**63 - 1),
    "double": st.floats(allow_nan=False),
    "string": _TEXT,
    "bytes": st.one_of(st.binary(max_size=40), st.binary(min_size=250, max_size=600)),
    "int128": st.binary(min_size=16, max_size=16),
    "int256": st.binary(min_size=32, max_size=32),
    "Bool": st.booleans(),
}


def _constructors_of(type_name: str) -> list[type[tl.TLObject]]:
    return [c for c in tl.ALL_CLASSES if c.TL_TYPE == type_name and not c.TL_FUNCTION]


def for_type(type_name: str) -> st.SearchStrategy:
    if type_name.startswith("vector "):
        return st.lists(for_type(type_name[7:]), max_size=3).map(tuple)
    if type_name in _SCALARS:
        return _SCALARS[type_name]
    if type_name in tl.BY_NAME:  # a bare constructor
        return st.deferred(lambda: for_class(tl.BY_NAME[type_name]))
    return st.one_of([st.deferred(lambda c=c: for_class(c)) for c in _constructors_of(type_name)])


@cache
def for_class(cls: type[tl.TLObject]) -> st.SearchStrategy:
    @st.composite
    def build(draw: st.DrawFn) -> tl.TLObject:
        bits_on: dict[tuple[str, int], bool] = {}
        kwargs = {}
        for name, type_name, flag_field, bit in cls.TL_FIELDS:
            if type_name == "#":
                continue  # computed from the optional fields present
            if flag_field is not None:
                key = (flag_field, bit)
                if key not in bits_on:
                    bits_on[key] = draw(st.booleans())
                if not bits_on[key]:
                    continue
            kwargs[name] = draw(for_type(type_name))
        return cls(**kwargs)

    return build()


any_object = st.sampled_from(tl.ALL_CLASSES).flatmap(for_class)
