"""Generate `cocoon/tl/types.py` (one attrs class per combinator) from the schema.

The generated code writes and reads each field with a direct call on the `Writer`/`Reader`,
so encoding is straight-line code rather than an interpreter walking field descriptions.
Run `python -m cocoon.tl generate` after changing `schema.tl`; a test checks the committed
file is up to date.
"""

from __future__ import annotations

from cocoon.tl.schema import SCALAR_TYPES, Combinator, Param, cocoon_schema

_PY_SCALAR = {
    "#": "int",
    "int": "int",
    "long": "int",
    "double": "float",
    "string": "str",
    "bytes": "bytes",
    "int128": "bytes",
    "int256": "bytes",
    "Bool": "bool",
}
_MIN_SIZE = {"#": 4, "int": 4, "long": 8, "double": 8, "string": 4, "bytes": 4}
_MIN_SIZE |= {"int128": 16, "int256": 32, "Bool": 4}
_WRITE = {"#": "w.flags({v})", "int128": "w.raw({v}, 16)", "int256": "w.raw({v}, 32)"}
_READ = {"#": "r.flags()", "int128": "r.raw(16)", "int256": "r.raw(32)"}


def class_name(tl_name: str) -> str:
    """`tcp.queryAnswer` -> `TcpQueryAnswer`, `proxyDb.clientInfoV2` -> `ProxyDbClientInfoV2`."""
    return "".join(part[:1].upper() + part[1:] for part in tl_name.split("."))


def boxed_alias(type_name: str) -> str:
    """Module-level tuple holding the constructors of a boxed type."""
    return "_BOXED_" + class_name(type_name).upper()


class _Gen:
    def __init__(self, combinators: tuple[Combinator, ...]) -> None:
        self.all = [c for c in combinators if not c.is_builtin]
        self.ctor_by_name = {c.name: c for c in self.all if not c.is_function}
        self.ctors_of_type: dict[str, list[Combinator]] = {}
        for c in self.all:
            if not c.is_function:
                self.ctors_of_type.setdefault(c.result, []).append(c)
        self.boxed_types: set[str] = set()

    def is_boxed(self, t: str) -> bool:
        return t not in SCALAR_TYPES and t not in self.ctor_by_name

    def py_type(self, t: str) -> str:
        if t.startswith("vector "):
            return f"tuple[{self.py_type(t[7:])}, ...]"
        if t in _PY_SCALAR:
            return _PY_SCALAR[t]
        if t in self.ctor_by_name:
            return class_name(t)
        return " | ".join(class_name(c.name) for c in self.ctors_of_type[t])

    def min_size(self, t: str) -> int:
        if t.startswith("vector "):
            return 4
        if t in _MIN_SIZE:
            return _MIN_SIZE[t]
        if t in self.ctor_by_name:
            return sum(
                self.min_size(p.type) for p in self.ctor_by_name[t].params if not p.flag_field
            )
        return 4  # a boxed value is at least its constructor id

    def write_expr(self, t: str, v: str) -> str:
        if t in _WRITE:
            return _WRITE[t].format(v=v)
        if t in SCALAR_TYPES:
            return f"w.{t.lower()}({v})"
        if t in self.ctor_by_name:
            return f"w.bare({v}, {class_name(t)})"
        self.boxed_types.add(t)
        return f"w.boxed({v}, {boxed_alias(t)})"

    def read_expr(self, t: str) -> str:
        if t in _READ:
            return _READ[t]
        if t in SCALAR_TYPES:
            return f"r.{t.lower()}()"
        if t in self.ctor_by_name:
            return f"{class_name(t)}._read(r)"
        self.boxed_types.add(t)
        return f"r.boxed({boxed_alias(t)}_BY_ID, {t!r})"

    def field_line(self, c: Combinator, p: Param) -> str:
        py = self.py_type(p.type)
        if p.flag_field is not None:
            return f"    {p.name}: {py} | None = None"
        if p.type == "#":
            if any(q.flag_field == p.name for q in c.params):
                return (
                    f"    {p.name}: int | None = None  # computed from the fields present when None"
                )
            return f"    {p.name}: int = 0"
        if p.is_vector:
            return f"    {p.name}: {py} = attrs.field(converter=tuple)"
        return f"    {p.name}: {py}"

    def emit_class(self, c: Combinator) -> list[str]:
        cls = class_name(c.name)
        kind = "function" if c.is_function else "constructor"
        # repr and eq come from TLObject: one shared method each instead of three compiled per
        # class (about 0.6 MB of RSS per process for the ~100 classes).
        decorator = "@attrs.frozen(kw_only=True, repr=False, eq=False)"
        lines = ["", "", decorator, f"class {cls}(TLObject):"]
        lines.append(f'    """TL {kind} `{c.normalized}`."""')
        lines.append("")
        lines.append(f"    TL_NAME: ClassVar[str] = {c.name!r}")
        lines.append(f"    TL_ID: ClassVar[int] = 0x{c.id:08x}")
        lines.append(f"    TL_TYPE: ClassVar[str] = {c.result!r}")
        lines.append(f"    TL_FUNCTION: ClassVar[bool] = {c.is_function}")
        fields = ", ".join(
            f"({p.name!r}, {p.type!r}, {p.flag_field!r}, {p.flag_bit!r})" for p in c.params
        )
        lines.append(
            f"    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]] = ({fields}{',' if len(c.params) == 1 else ''})"
        )
        groups: dict[str, dict[int, list[str]]] = {}
        for p in c.params:
            if p.flag_field is not None:
                groups.setdefault(p.flag_field, {}).setdefault(p.flag_bit, []).append(p.name)  # type: ignore[arg-type]
        if groups:
            spec = ", ".join(
                f"{ff!r}: ("
                + ", ".join(f"({bit}, {tuple(names)!r})" for bit, names in sorted(g.items()))
                + ",)"
                for ff, g in groups.items()
            )
            lines.append(f"    TL_FLAG_GROUPS: ClassVar[FlagGroups] = {{{spec}}}")
        if c.params:
            lines.append("")
            lines.extend(self.field_line(c, p) for p in c.params)
        if groups:
            lines += [
                "",
                "    def __attrs_post_init__(self) -> None:",
                "        resolve_flags(self)",
            ]
        # writer
        lines += ["", "    def _write(self, w: Writer) -> None:"]
        if not c.params:
            lines.append("        pass")
        for p in c.params:
            v = f"self.{p.name}"
            indent = "        "
            if p.flag_field is not None:
                lines.append(f"        if self.{p.flag_field} & {1 << p.flag_bit}:")  # type: ignore[operator]
                indent += "    "
            if p.is_vector:
                lines.append(f"{indent}w.uint(len({v}))")
                lines.append(f"{indent}for item in {v}:")
                lines.append(f"{indent}    {self.write_expr(p.element_type, 'item')}")
            else:
                lines.append(f"{indent}{self.write_expr(p.type, v)}")
        # reader
        lines += ["", "    @classmethod", f"    def _read(cls, r: Reader) -> {cls}:"]
        if not c.params:
            lines.append("        return cls()")
            return lines
        lines.append("        try:")
        for p in c.params:
            local = f"f_{p.name}"
            if p.is_vector:
                item = self.read_expr(p.element_type)
                count = f"r.vector_count({self.min_size(p.element_type)})"
                expr = f"tuple([{item} for _ in range({count})])"
            else:
                expr = self.read_expr(p.type)
            if p.flag_field is not None:
                expr = f"{expr} if f_{p.flag_field} & {1 << p.flag_bit} else None"  # type: ignore[operator]
            lines.append(f"            {local} = {expr}")
        args = ", ".join(f"{p.name}=f_{p.name}" for p in c.params)
        lines.append(f"            return cls({args})")
        lines.append("        except TLDecodeError as e:")
        lines.append("            if e.type_name is None:")
        lines.append(f"                e.type_name = {c.name!r}")
        lines.append("            raise")
        return lines

    def module(self) -> str:
        body: list[str] = []
        for c in self.all:
            body += self.emit_class(c)
        head = [
            '"""Generated from cocoon/tl/schema.tl by `python -m cocoon.tl generate`. Do not edit."""',
            "",
            "# ruff: noqa: E501",
            "from __future__ import annotations",
            "",
            "from typing import ClassVar",
            "",
            "import attrs",
            "",
            "from cocoon.tl.codec import BY_ID, FieldSpec, FlagGroups, Reader, TLObject, Writer, resolve_flags",
            "from cocoon.tl.errors import TLDecodeError",
        ]
        tail = ["", "", "# Constructors of each boxed (polymorphic) type used as a field."]
        for t in sorted(self.boxed_types):
            names = [class_name(c.name) for c in self.ctors_of_type[t]]
            tail.append(f"{boxed_alias(t)} = ({', '.join(names)},)")
            tail.append(f"{boxed_alias(t)}_BY_ID = {{c.TL_ID: c for c in {boxed_alias(t)}}}")
        tail += ["", "ALL_CLASSES: tuple[type[TLObject], ...] = ("]
        tail += [f"    {class_name(c.name)}," for c in self.all]
        tail += [")", "BY_ID.update({c.TL_ID: c for c in ALL_CLASSES})"]
        tail += ["BY_NAME: dict[str, type[TLObject]] = {c.TL_NAME: c for c in ALL_CLASSES}", ""]
        return "\n".join(head + body + tail)


def generate_module(combinators: tuple[Combinator, ...] | None = None) -> str:
    return _Gen(combinators or cocoon_schema()).module()
