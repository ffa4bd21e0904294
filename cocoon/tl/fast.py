"""Specialised encoders and decoders for the TL constructors every request crosses, compiled
at import from their field descriptions (`TL_FIELDS`).

The generated codec (`cocoon.tl.types`) reads and writes each field through a `Reader` or
`Writer` method and builds objects through attrs' `__init__`; per request that is a few
hundred Python calls. The versions compiled here work on local variables: runs of fixed-size
fields go through one `struct` call, strings and bytes are parsed inline, and decoded objects
are filled slot by slot (the values already satisfy what `__init__` would check: vectors are
tuples, flags match the fields present).

They are optimistic: any irregularity (short input, a bad Bool, a flags bit 31, an unknown
constructor, a value of the wrong type or range when encoding) makes them undo what they did
and run the generic method from the same position, which then raises its precise error. So
they produce the generic codec's bytes and objects, and its errors, by construction; the
tests (tests/tl/test_fast.py) compare both on random objects and on damaged input.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from cocoon.tl.codec import BOOL_FALSE, BOOL_TRUE, BY_ID, MAX_BYTES_LENGTH, TLObject

# The constructors on the request path, both ways, and what they carry.
HOT_CONSTRUCTORS = (
    "tcp.packet",
    "tcp.query",
    "tcp.queryAnswer",
    "http.header",
    "http.request",
    "http.response",
    "tokensUsed",
    "client.runQueryEx",
    "client.queryAnswerEx",
    "client.queryAnswerPartEx",
    "client.queryAnswerErrorEx",
    "client.queryFinalInfo",
    "proxy.runQueryEx",
    "proxy.queryAnswerEx",
    "proxy.queryAnswerPartEx",
    "proxy.queryAnswerErrorEx",
    "proxy.queryFinalInfo",
    "proxy.signedPayment",
    "proxy.signedPaymentEmpty",
    "proxy.clientRequestPayment",
    "proxy.workerRequestPayment",
    "client.paymentStatus",
    "worker.paymentStatus",
)

# Fixed-size fields a single struct call can read or write.
_FIXED = {"#": "I", "int": "i", "long": "q", "double": "d", "int128": "16s", "int256": "32s"}
_FIXED_SIZE = {"#": 4, "int": 4, "long": 8, "double": 8, "int128": 16, "int256": 32}
_MIN_SIZE = {**_FIXED_SIZE, "string": 4, "bytes": 4, "Bool": 4}


class _Irregular(Exception):
    """Raised inside a fast path: leave it to the generic method."""


def _by_name() -> dict[str, type[TLObject]]:
    return {c.TL_NAME: c for c in BY_ID.values()}


class _Compiler:
    def __init__(self) -> None:
        self.by_name = _by_name()
        self.ns: dict[str, Any] = {
            "_Irregular": _Irregular,
            "_new": object.__new__,
            "_U32": struct.Struct("<I"),
            "_TRUE": struct.pack("<I", BOOL_TRUE),
            "_FALSE": struct.pack("<I", BOOL_FALSE),
            "BOOL_TRUE": BOOL_TRUE,
            "BOOL_FALSE": BOOL_FALSE,
            "_PAD": (b"", b"\0\0\0", b"\0\0", b"\0"),
            "MAX_BYTES_LENGTH": MAX_BYTES_LENGTH,
        }
        self.counter = 0

    def name(self, prefix: str, value: object) -> str:
        self.counter += 1
        key = f"{prefix}{self.counter}"
        self.ns[key] = value
        return key

    def bare(self, type_name: str) -> type[TLObject] | None:
        cls = self.by_name.get(type_name)
        return cls if cls is not None and not cls.TL_FUNCTION else None

    def boxed(self, type_name: str) -> dict[int, type[TLObject]]:
        return {c.TL_ID: c for c in BY_ID.values() if c.TL_TYPE == type_name and not c.TL_FUNCTION}

    def min_size(self, type_name: str) -> int:
        if type_name.startswith("vector ") or type_name in _MIN_SIZE:
            return _MIN_SIZE.get(type_name, 4)
        cls = self.bare(type_name)
        if cls is None:
            return 4  # a boxed value: its constructor id at least
        return sum(self.min_size(t) for _, t, flag, _ in cls.TL_FIELDS if flag is None)

    def supported(self, type_name: str) -> bool:
        if type_name.startswith("vector "):
            item = type_name[7:]
            # an item of no bytes would let a forged count spin: leave those to the generic
            return self.supported(item) and self.min_size(item) >= 4
        return (
            type_name in _MIN_SIZE
            or self.bare(type_name) is not None
            or bool(self.boxed(type_name))
        )

    # --- groups of fields ---

    @staticmethod
    def groups(fields: tuple) -> list[list[tuple]]:
        """Consecutive mandatory fixed-size fields together, every other field alone."""
        out: list[list[tuple]] = []
        for f in fields:
            fixed = f[1] in _FIXED and f[2] is None
            if fixed and out and out[-1][0][1] in _FIXED and out[-1][0][2] is None:
                out[-1].append(f)
            else:
                out.append([f])
        return out

    # --- reading ---

    def read_value(self, t: str, target: str, ind: str) -> list[str]:
        """Lines reading one value of type `t` at `pos` into `target`."""
        if t in _FIXED:
            s = self.name("_S", struct.Struct("<" + _FIXED[t]))
            lines = [f"{ind}{target} = {s}.unpack_from(data, pos)[0]", f"{ind}pos += {s}.size"]
            if t == "#":
                lines.append(f"{ind}if {target} & 0x80000000: raise _Irregular")
            return lines
        if t == "Bool":
            return [
                f"{ind}b = _U32.unpack_from(data, pos)[0]",
                f"{ind}pos += 4",
                f"{ind}if b == BOOL_TRUE: {target} = True",
                f"{ind}elif b == BOOL_FALSE: {target} = False",
                f"{ind}else: raise _Irregular",
            ]
        if t in ("bytes", "string"):
            value = "data[s:s + n]"
            if t == "string":
                value += '.decode("utf-8", "replace")'
            return [
                f"{ind}n = data[pos]",
                f"{ind}if n < 254: s = pos + 1; pos += (n + 4) & -4",
                f"{ind}elif n == 254:",
                f"{ind}    n = data[pos + 1] | data[pos + 2] << 8 | data[pos + 3] << 16",
                f"{ind}    s = pos + 4; pos += (n + 7) & -4",
                f"{ind}else: raise _Irregular",
                f"{ind}if pos > end: raise _Irregular",
                f"{ind}{target} = {value}",
            ]
        if t.startswith("vector "):
            item = t[7:]
            lines = [
                f"{ind}count = _U32.unpack_from(data, pos)[0]",
                f"{ind}pos += 4",
                f"{ind}if count * {self.min_size(item)} > end - pos: raise _Irregular",
                f"{ind}items = []",
                f"{ind}for _ in range(count):",
            ]
            lines += self.read_value(item, "item", ind + "    ")
            lines += [f"{ind}    items.append(item)", f"{ind}{target} = tuple(items)"]
            return lines
        cls = self.bare(t)
        if cls is not None:
            c = self.name("_C", cls)
            return [
                f"{ind}r.pos = pos",
                f"{ind}{target} = {c}._read(r)",
                f"{ind}pos = r.pos",
            ]
        table = self.name("_B", self.boxed(t))
        return [
            f"{ind}c = {table}.get(_U32.unpack_from(data, pos)[0])",
            f"{ind}if c is None: raise _Irregular",
            f"{ind}r.pos = pos + 4",
            f"{ind}{target} = c._read(r)",
            f"{ind}pos = r.pos",
        ]

    def compile_read(self, cls: type[TLObject]) -> Callable[..., Any]:
        generic = self.name("_generic", cls._read.__func__)  # type: ignore[attr-defined]
        lines = [
            "def _read(cls, r):",
            "    data = r.data",
            "    pos = start = r.pos",
            "    end = r.end",
            "    try:",
        ]
        ind = "        "
        for group in self.groups(cls.TL_FIELDS):
            name, t, flag, bit = group[0]
            if len(group) > 1:
                s = self.name("_S", struct.Struct("<" + "".join(_FIXED[f[1]] for f in group)))
                targets = ", ".join(f"f_{f[0]}" for f in group)
                lines.append(f"{ind}{targets}, = {s}.unpack_from(data, pos)")
                lines.append(f"{ind}pos += {s}.size")
                for f in group:
                    if f[1] == "#":
                        lines.append(f"{ind}if f_{f[0]} & 0x80000000: raise _Irregular")
                continue
            if flag is not None:
                lines.append(f"{ind}if f_{flag} & {1 << bit}:")
                lines += self.read_value(t, f"f_{name}", ind + "    ")
                lines.append(f"{ind}else:")
                lines.append(f"{ind}    f_{name} = None")
            else:
                lines += self.read_value(t, f"f_{name}", ind)
        lines += [
            f"{ind}if pos > end: raise _Irregular",
            "    except Exception:",
            "        # anything irregular: the generic reader raises the precise error",
            "        r.pos = start",
            f"        return {generic}(cls, r)",
            "    r.pos = pos",
            "    o = _new(cls)",
        ]
        for name, *_ in cls.TL_FIELDS:
            setter = self.name("_set", cls.__dict__[name].__set__)
            lines.append(f"    {setter}(o, f_{name})")
        lines.append("    return o")
        return self.build(lines, "_read")

    # --- writing ---

    def write_value(self, t: str, v: str, ind: str) -> list[str]:
        """Lines appending one value `v` of type `t` to `buf`."""
        if t in _FIXED:
            s = self.name("_S", struct.Struct("<" + _FIXED[t]))
            lines = []
            if t in ("int128", "int256"):
                # struct would pad or cut a wrong length silently
                lines.append(f"{ind}if len({v}) != {_FIXED_SIZE[t]}: raise _Irregular")
            if t == "#":
                lines.append(f"{ind}if not 0 <= {v} < 0x80000000: raise _Irregular")
            return [*lines, f"{ind}buf += {s}.pack({v})"]
        if t == "Bool":
            return [
                f"{ind}if {v} is True: buf += _TRUE",
                f"{ind}elif {v} is False: buf += _FALSE",
                f"{ind}else: raise _Irregular",
            ]
        if t in ("bytes", "string"):
            if t == "string":
                lines = [
                    f"{ind}if not isinstance({v}, str): raise _Irregular",
                    f"{ind}b = {v}.encode()",
                ]
            else:
                lines = [
                    f"{ind}b = {v}",
                    f"{ind}if not isinstance(b, (bytes, bytearray, memoryview)): raise _Irregular",
                ]
            return [
                *lines,
                f"{ind}n = len(b)",
                f"{ind}if n < 254:",
                f"{ind}    buf.append(n); buf += b; buf += _PAD[(n + 1) & 3]",
                f"{ind}elif n <= MAX_BYTES_LENGTH:",
                f"{ind}    buf += _U32.pack(0xFE | n << 8); buf += b; buf += _PAD[n & 3]",
                f"{ind}else: raise _Irregular",
            ]
        if t.startswith("vector "):
            return [
                f"{ind}buf += _U32.pack(len({v}))",
                f"{ind}for item in {v}:",
                *self.write_value(t[7:], "item", ind + "    "),
            ]
        cls = self.bare(t)
        if cls is not None:
            c = self.name("_C", cls)
            return [f"{ind}if type({v}) is not {c}: raise _Irregular", f"{ind}{v}._write(w)"]
        allowed = self.name("_A", tuple(self.boxed(t).values()))
        return [
            f"{ind}if not isinstance({v}, {allowed}): raise _Irregular",
            f"{ind}buf += _U32.pack({v}.TL_ID)",
            f"{ind}{v}._write(w)",
        ]

    def compile_write(self, cls: type[TLObject]) -> Callable[..., Any]:
        generic = self.name("_generic", cls._write)
        lines = ["def _write(self, w):", "    buf = w.buf", "    start = len(buf)", "    try:"]
        ind = "        "
        for group in self.groups(cls.TL_FIELDS):
            name, t, flag, bit = group[0]
            if len(group) > 1:
                for f in group:
                    lines += [
                        line
                        for line in self.write_value(f[1], f"self.{f[0]}", ind)
                        if "buf +=" not in line
                    ]
                s = self.name("_S", struct.Struct("<" + "".join(_FIXED[f[1]] for f in group)))
                values = ", ".join(f"self.{f[0]}" for f in group)
                lines.append(f"{ind}buf += {s}.pack({values})")
                continue
            if flag is not None:
                lines.append(f"{ind}if self.{flag} & {1 << bit}:")
                lines += self.write_value(t, f"self.{name}", ind + "    ")
            else:
                lines += self.write_value(t, f"self.{name}", ind)
        if len(lines) == 4:
            lines.append(f"{ind}pass")
        lines += [
            "    except Exception:",
            "        # a wrong type or range: the generic writer raises the precise error",
            "        del buf[start:]",
            f"        {generic}(self, w)",
        ]
        return self.build(lines, "_write")

    def build(self, lines: list[str], name: str) -> Callable[..., Any]:
        code = "\n".join(lines) + "\n"
        exec(compile(code, f"<cocoon.tl.fast {name}>", "exec"), self.ns)
        return self.ns.pop(name)


def install(names: tuple[str, ...] = HOT_CONSTRUCTORS) -> dict[str, type[TLObject]]:
    """Give the named constructors their specialised `_read` and `_write`; the generic ones
    stay reachable as `_read_generic` and `_write_generic`. Returns the classes changed."""
    compiler = _Compiler()
    done: dict[str, type[TLObject]] = {}
    for name in names:
        cls = compiler.bare(name) or compiler.by_name.get(name)
        if cls is None or "_read_generic" in cls.__dict__:
            continue
        if not all(compiler.supported(t) for _, t, _, _ in cls.TL_FIELDS):
            continue
        reader, writer = compiler.compile_read(cls), compiler.compile_write(cls)
        cls._read_generic = cls.__dict__["_read"]  # type: ignore[attr-defined]
        cls._write_generic = cls.__dict__["_write"]  # type: ignore[attr-defined]
        cls._read = classmethod(reader)  # type: ignore[method-assign, assignment]
        cls._write = writer  # type: ignore[method-assign]
        done[name] = cls
    return done
