"""TL (de)serialisation for liteservers (sans-IO): lite_api and the few ton_api combinators ADNL
needs, as plain dicts.

The schemas are the ones pytoniq-core ships (`pytoniq_core/tl/schemas/lite_api.tl`, tracking
TON's `tl/generate/scheme/lite_api.tl`); they are parsed with cocoon's TL schema parser and the
values read and written with cocoon's strict `Reader`/`Writer`. pytoniq-core's own TL
generator computes the same constructor ids (a test checks every one) but its codec is lax for
answers that must be trusted: it reads past the end of a buffer without error, gives int256 as
hex strings, reverses `bytes` given for int256 fields, and guesses whether a `bytes` field holds
TL. Here every read is bounds-checked and an answer must consume its buffer exactly.

Values: a constructor is a dict with `"@type"` (its TL name) and its fields; `int`/`long`/`#` are
ints, `int256`/`int128` are `bytes` of 32/16, `bytes` is `bytes`, `string` is `str`, `Bool` is
`bool`, a vector is a list. An optional field (`mode.N?type`) is `None` when absent (`False` for
`true`-typed flags); on encoding, a flags field left out is computed from the optional fields
present, and one given must agree with them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

import attrs

from cocoon.tl.codec import Reader, Writer
from cocoon.tl.errors import TLDecodeError, TLEncodeError
from cocoon.tl.schema import Combinator, Param, parse_schema
from cocoon.ton.lite.errors import LiteDecodeError

# ton_api combinators that ADNL over TCP uses next to lite_api (lite_api repeats some).
TON_API_NAMES = (
    "tcp.ping",
    "tcp.pong",
    "tcp.authentificate",
    "tcp.authentificationNonce",
    "tcp.authentificationComplete",
    "adnl.message.query",
    "adnl.message.answer",
    "pub.ed25519",
)
# Functions a liteserver query may start with, before the query proper.
QUERY_PREFIXES = frozenset({"liteServer.waitMasterchainSeqno", "liteServer.queryPrefix"})

_FIXED_SIZE = {"int": 4, "#": 4, "long": 8, "double": 8, "int128": 16, "int256": 32, "Bool": 4}
_SCALARS = frozenset(_FIXED_SIZE) | {"string", "bytes", "true"}


def _schema_text(file_name: str) -> str:
    return resources.files("pytoniq_core.tl").joinpath("schemas", file_name).read_text()


@attrs.frozen
class Registry:
    """Every combinator the liteserver layer knows, by name and by id."""

    by_name: Mapping[str, Combinator]
    constructors_by_id: Mapping[int, Combinator]
    functions_by_id: Mapping[int, Combinator]
    constructors_of_type: Mapping[str, Mapping[int, Combinator]]

    def combinator(self, name: str) -> Combinator:
        try:
            return self.by_name[name]
        except KeyError:
            raise TLEncodeError(f"unknown TL combinator {name!r}") from None

    def result_type(self, function: str) -> str:
        """The TL type a function answers with (`liteServer.getTime` -> `liteServer.CurrentTime`)."""
        c = self.combinator(function)
        if not c.is_function:
            raise TLEncodeError(f"{function} is a constructor, not a function")
        return c.result


@functools.cache
def registry() -> Registry:
    lite = [c for c in parse_schema(_schema_text("lite_api.tl")) if not c.is_builtin]
    ton = {c.name: c for c in parse_schema(_schema_text("ton_api.tl"))}
    lite_names = {c.name for c in lite}
    combinators = lite + [ton[name] for name in TON_API_NAMES if name not in lite_names]
    by_name = {c.name: c for c in combinators}
    constructors: dict[int, Combinator] = {}
    functions: dict[int, Combinator] = {}
    of_type: dict[str, dict[int, Combinator]] = {}
    for c in combinators:
        table = functions if c.is_function else constructors
        if c.id in table:
            raise AssertionError(f"duplicate TL id {c.id:08x}: {c.name}, {table[c.id].name}")
        table[c.id] = c
        if not c.is_function:
            of_type.setdefault(c.result, {})[c.id] = c
    return Registry(by_name, constructors, functions, of_type)


def _is_bare(type_name: str) -> bool:
    """`tonNode.blockIdExt` (lower-case last part) is written bare; `liteServer.BlockLink` boxed."""
    return type_name.rsplit(".", 1)[-1][:1].islower() and type_name not in _SCALARS


@functools.cache
def _min_size(type_name: str) -> int:
    """The fewest bytes a value of this type takes, so a vector count can be checked."""
    if type_name in _FIXED_SIZE:
        return _FIXED_SIZE[type_name]
    if type_name in ("string", "bytes"):
        return 4
    if type_name == "true":
        return 0
    if type_name.startswith("vector "):
        return 4
    if _is_bare(type_name):
        c = registry().combinator(type_name)
        return sum(_min_size(p.type) for p in c.params if p.flag_field is None)
    return 4  # a boxed value is at least its constructor id


# --- encoding --------------------------------------------------------------------------------


def encode(name: str, fields: Mapping[str, Any] | None = None) -> bytes:
    """The boxed encoding (constructor id, then fields) of a constructor or function by name."""
    c = registry().combinator(name)
    w = Writer()
    w.uint(c.id)
    _write_fields(w, c, fields or {})
    return w.getvalue()


def _write_fields(w: Writer, c: Combinator, fields: Mapping[str, Any]) -> None:
    flags = _resolve_flags(c, fields)
    for p in c.params:
        if p.type == "#" and p.name in flags:
            w.uint(flags[p.name])
            continue
        if p.flag_field is not None:
            if not flags[p.flag_field] >> p.flag_bit & 1:  # type: ignore[operator]
                continue
            if p.type == "true":
                continue
        if p.name not in fields:
            raise TLEncodeError(f"{c.name}: field {p.name!r} missing")
        try:
            _write_value(w, p.type, fields[p.name])
        except TLEncodeError as e:
            raise TLEncodeError(f"{c.name}.{p.name}: {e}") from None


def _present(p: Param, fields: Mapping[str, Any]) -> bool:
    value = fields.get(p.name)
    return bool(value) if p.type == "true" else value is not None


def _resolve_flags(c: Combinator, fields: Mapping[str, Any]) -> dict[str, int]:
    """The value of each flags field that guards optional fields, computed or checked."""
    result: dict[str, int] = {}
    for flags_param in c.params:
        if flags_param.type != "#":
            continue
        guarded = [p for p in c.params if p.flag_field == flags_param.name]
        if not guarded:
            continue
        implied = 0
        absent = 0
        for p in guarded:
            if _present(p, fields):
                implied |= 1 << p.flag_bit  # type: ignore[operator]
            else:
                absent |= 1 << p.flag_bit  # type: ignore[operator]
        if implied & absent:
            raise TLEncodeError(
                f"{c.name}: fields under one {flags_param.name} bit must all be set"
            )
        given = fields.get(flags_param.name)
        if given is None:
            result[flags_param.name] = implied
            continue
        if given & implied != implied or given & absent:
            raise TLEncodeError(
                f"{c.name}: {flags_param.name}={given:#x} disagrees with the fields present"
                f" (need {implied:#x}, fields for {given & absent:#x} missing)"
            )
        result[flags_param.name] = given
    return result


def _write_value(w: Writer, type_name: str, value: Any) -> None:
    if type_name == "int":
        w.int(value)
    elif type_name == "#":
        w.uint(value)
    elif type_name == "long":
        w.long(value)
    elif type_name == "double":
        w.double(value)
    elif type_name == "int256":
        w.raw(value, 32)
    elif type_name == "int128":
        w.raw(value, 16)
    elif type_name == "Bool":
        w.bool(value)
    elif type_name == "bytes":
        w.bytes(value)
    elif type_name == "string":
        w.string(value)
    elif type_name.startswith("vector "):
        if not isinstance(value, list | tuple):
            raise TLEncodeError(f"a list expected for {type_name}, got {type(value).__name__}")
        w.uint(len(value))
        element = type_name.removeprefix("vector ")
        for item in value:
            _write_value(w, element, item)
    elif _is_bare(type_name):
        _check_dict(value, type_name)
        given = value.get("@type", type_name)
        if given != type_name:
            raise TLEncodeError(f"{type_name} expected, got {given}")
        _write_fields(w, registry().combinator(type_name), value)
    else:
        _check_dict(value, type_name)
        c = registry().by_name.get(value.get("@type", ""))
        if c is None or c.is_function or c.result != type_name:
            raise TLEncodeError(f"a constructor of {type_name} expected, got {value.get('@type')}")
        w.uint(c.id)
        _write_fields(w, c, value)


def _check_dict(value: Any, type_name: str) -> None:
    if not isinstance(value, Mapping):
        raise TLEncodeError(f"a dict expected for {type_name}, got {type(value).__name__}")


# --- decoding --------------------------------------------------------------------------------


def decode(data: bytes, expect: str | Iterable[str]) -> dict[str, Any]:
    """Decode exactly one boxed constructor of the expected type(s) from all of `data`.

    `expect` names TL types (`"liteServer.MasterchainInfo"`), constructors or functions
    (`"liteServer.query"`, as a server reads it); any other
    constructor, a truncated value or trailing bytes raise `LiteDecodeError`.
    """
    names = (expect,) if isinstance(expect, str) else tuple(expect)
    allowed = _allowed(names)
    r = Reader(data)
    try:
        value = _read_boxed(r, allowed, " or ".join(names))
        r.finish()
    except TLDecodeError as e:
        raise LiteDecodeError(str(e)) from None
    return value


@functools.lru_cache(maxsize=256)
def _allowed(names: tuple[str, ...]) -> Mapping[int, Combinator]:
    reg = registry()
    allowed: dict[int, Combinator] = {}
    for name in names:
        if name in reg.constructors_of_type:
            allowed.update(reg.constructors_of_type[name])
        elif name in reg.by_name:  # a constructor, or a function named explicitly
            c = reg.by_name[name]
            allowed[c.id] = c
        else:
            raise ValueError(f"unknown TL type or constructor {name!r}")
    return allowed


def decode_query(data: bytes) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Decode the body of a `liteServer.query`: its prefixes, then the lite_api function.

    A query may start with prefix functions (`liteServer.waitMasterchainSeqno`), written one
    after the other before the query proper, each boxed, not nested in `bytes`.
    """
    functions = registry().functions_by_id
    r = Reader(data)
    prefixes: list[dict[str, Any]] = []
    try:
        while True:
            value = _read_boxed(r, functions, "a lite_api function")
            if value["@type"] not in QUERY_PREFIXES:
                break
            prefixes.append(value)
        r.finish()
    except TLDecodeError as e:
        raise LiteDecodeError(str(e)) from None
    return prefixes, value


def _read_boxed(r: Reader, allowed: Mapping[int, Combinator], what: str) -> dict[str, Any]:
    pos = r.pos
    cid = r.uint()
    c = allowed.get(cid)
    if c is None:
        known = registry().constructors_by_id.get(cid) or registry().functions_by_id.get(cid)
        detail = f"{known.name} where {what} was expected" if known else f"id {cid:08x}"
        raise TLDecodeError(detail, offset=pos, type_name=what)
    return _read_fields(r, c)


def _read_fields(r: Reader, c: Combinator) -> dict[str, Any]:
    result: dict[str, Any] = {"@type": c.name}
    try:
        for p in c.params:
            if p.flag_field is not None and not result[p.flag_field] >> p.flag_bit & 1:
                result[p.name] = False if p.type == "true" else None
                continue
            result[p.name] = _read_value(r, p.type)
    except TLDecodeError as e:
        if e.type_name is None:
            e.type_name = c.name
        raise
    return result


def _read_value(r: Reader, type_name: str) -> Any:
    if type_name == "int":
        return r.int()
    if type_name == "#":
        return r.uint()
    if type_name == "long":
        return r.long()
    if type_name == "double":
        return r.double()
    if type_name == "int256":
        return r.raw(32)
    if type_name == "int128":
        return r.raw(16)
    if type_name == "Bool":
        return r.bool()
    if type_name == "bytes":
        return r.bytes()
    if type_name == "string":
        return r.string()
    if type_name == "true":
        return True
    if type_name.startswith("vector "):
        element = type_name.removeprefix("vector ")
        count = r.vector_count(max(_min_size(element), 1))
        return [_read_value(r, element) for _ in range(count)]
    if _is_bare(type_name):
        return _read_fields(r, registry().combinator(type_name))
    allowed = registry().constructors_of_type.get(type_name)
    if allowed is None:
        raise TLDecodeError(f"no constructors for type {type_name}", offset=r.pos)
    return _read_boxed(r, allowed, type_name)
