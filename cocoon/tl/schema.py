"""Parse TL schema text into combinators, and compute constructor ids (sans-IO).

The id of a declaration without an explicit `#id` is the IEEE CRC-32 (`zlib.crc32`) of its
normalised text: comments removed, the explicit id dropped, the characters `( ) { }` deleted
(not replaced: `(vector X)` becomes `vector X`), `Vector<X>` written `Vector X`, whitespace
collapsed to single spaces, without the closing `;`.
"""

from __future__ import annotations

import re
import zlib
from functools import cache
from importlib import resources

import attrs

from cocoon.errors import DecodeError

BUILTIN_NAMES = frozenset(
    {"int", "long", "double", "string", "object", "function", "bytes", "true"}
    | {"boolTrue", "boolFalse", "vector", "int128", "int256"}
)
# Scalar types a field may have, besides vectors, constructors and boxed types.
SCALAR_TYPES = frozenset(
    {"#", "int", "long", "double", "string", "bytes", "int128", "int256", "Bool"}
)


class SchemaError(DecodeError):
    """The schema text itself does not parse."""


@attrs.frozen
class Param:
    """One field: `name:type` or `name:flags.K?type`."""

    name: str
    type: str  # "int", "vector http.header", "proxy.params", "proxy.SignedPayment", "#"
    flag_field: str | None = None
    flag_bit: int | None = None

    @property
    def is_vector(self) -> bool:
        return self.type.startswith("vector ")

    @property
    def element_type(self) -> str:
        return self.type.removeprefix("vector ")


@attrs.frozen
class Combinator:
    name: str
    id: int
    result: str
    params: tuple[Param, ...]
    is_function: bool
    explicit_id: bool
    normalized: str

    @property
    def is_builtin(self) -> bool:
        return self.name in BUILTIN_NAMES


def normalize(declaration: str) -> str:
    """The text whose CRC-32 is the constructor id (explicit `#id` already removed)."""
    text = re.sub(r"[(){}]", "", declaration)
    text = re.sub(r"<([^<>]*)>", r" \1", text)
    return " ".join(text.split())


def crc_id(normalized: str) -> int:
    return zlib.crc32(normalized.encode()) & 0xFFFFFFFF


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


_PARAM = re.compile(r"^(?P<name>\w+):(?:(?P<flag>\w+)\.(?P<bit>\d+)\?)?(?P<type>.+)$")


def _parse_params(tokens: list[str], decl: str) -> tuple[Param, ...]:
    params: list[Param] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.startswith("{") or tok in {"#", "?", "["} or "*[" in tok:
            # Type parameters and repetitions only occur in builtins, which have no fields.
            raise SchemaError(f"unsupported syntax {tok!r} in {decl!r}")
        # A parenthesised type spans several tokens: `types:(vector client.workerType)`.
        if "(" in tok and ")" not in tok:
            j = i
            while ")" not in tokens[j]:
                j += 1
                if j >= len(tokens):
                    raise SchemaError(f"unbalanced parenthesis in {decl!r}")
            tok = " ".join(tokens[i : j + 1])
            i = j
        i += 1
        m = _PARAM.match(tok)
        if not m:
            raise SchemaError(f"cannot parse field {tok!r} in {decl!r}")
        type_text = " ".join(m["type"].replace("(", " ").replace(")", " ").split())
        if type_text.startswith("Vector ") or type_text.startswith("vector "):
            type_text = "vector " + type_text.split(" ", 1)[1]
        param = Param(
            name=m["name"],
            type=type_text,
            flag_field=m["flag"],
            flag_bit=int(m["bit"]) if m["bit"] is not None else None,
        )
        if param.flag_field is not None:
            if not any(p.name == param.flag_field and p.type == "#" for p in params):
                raise SchemaError(f"{param.name} depends on unknown flags field in {decl!r}")
            if not 0 <= param.flag_bit < 31:  # type: ignore[operator]
                raise SchemaError(f"flag bit out of range in {decl!r}")
        params.append(param)
    return tuple(params)


def parse_schema(text: str) -> tuple[Combinator, ...]:
    """All declarations of a schema, in order. Raises `SchemaError` on malformed text."""
    combinators: list[Combinator] = []
    is_function = False
    for part in re.split(r"(---\w+---)", _strip_comments(text)):
        if part in ("---functions---", "---types---"):
            is_function = part == "---functions---"
            continue
        for raw in part.split(";"):
            decl = " ".join(raw.split())
            if not decl:
                continue
            if "=" not in decl:
                raise SchemaError(f"declaration without result type: {decl!r}")
            lhs, result = (s.strip() for s in decl.rsplit("=", 1))
            head, *tokens = lhs.split()
            name, _, explicit = head.partition("#")
            text_without_id = " ".join([name, *tokens, "=", result])
            norm = normalize(text_without_id)
            if explicit:
                if not re.fullmatch(r"[0-9a-fA-F]{1,8}", explicit):
                    raise SchemaError(f"bad explicit id in {decl!r}")
                cid = int(explicit, 16)
            else:
                cid = crc_id(norm)
            params = () if name in BUILTIN_NAMES else _parse_params(tokens, decl)
            combinators.append(
                Combinator(
                    name=name,
                    id=cid,
                    result=result,
                    params=params,
                    is_function=is_function,
                    explicit_id=bool(explicit),
                    normalized=norm,
                )
            )
    names = [c.name for c in combinators]
    if len(set(names)) != len(names):
        raise SchemaError("duplicate declaration names")
    return tuple(combinators)


@cache
def reference_schema() -> tuple[Combinator, ...]:
    """The reference's COCOON schema (`cocoon/tl/schema.tl`)."""
    return parse_schema(resources.files("cocoon.tl").joinpath("schema.tl").read_text())


@cache
def extension_schema() -> tuple[Combinator, ...]:
    """cocoon's own declarations (`cocoon/tl/extensions.tl`), unknown to the reference."""
    return parse_schema(resources.files("cocoon.tl").joinpath("extensions.tl").read_text())


@cache
def cocoon_schema() -> tuple[Combinator, ...]:
    """Everything the codec knows: the reference's schema, then our extensions."""
    combined = reference_schema() + extension_schema()
    names = [c.name for c in combined]
    if len(set(names)) != len(names):
        raise SchemaError("an extension redeclares a reference name")
    return combined


def is_bare_constructor_type(type_name: str) -> bool:
    """`proxy.params`, `tokensUsed`: a lower-case constructor name, written bare."""
    return type_name.rsplit(".", 1)[-1][:1].islower() and type_name not in SCALAR_TYPES
