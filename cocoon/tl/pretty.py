"""Human-readable rendering of TL objects, for debugging tools (`cocoon tl decode`, `cocoon wire`)."""

from __future__ import annotations

from cocoon.tl.codec import TLObject, decode
from cocoon.tl.errors import TLDecodeError

_MAX_BYTES_SHOWN = 64


def _inner(value: bytes) -> TLObject | None:
    """A bytes field that holds one whole boxed TL object (`tcp.packet.data`, `query`)."""
    if len(value) < 4:
        return None
    try:
        return decode(value)
    except TLDecodeError:
        return None


def _bytes(value: bytes, indent: str) -> str:
    inner = _inner(value)
    if inner is not None:
        return pretty(inner, indent)
    try:
        text = value.decode()
        if text.isprintable() or all(c.isprintable() or c in "\r\n\t" for c in text):
            return repr(text if len(text) <= 400 else text[:400] + "…")
    except UnicodeDecodeError:
        pass
    shown = value[:_MAX_BYTES_SHOWN].hex()
    return f"0x{shown}{'…' if len(value) > _MAX_BYTES_SHOWN else ''} ({len(value)} bytes)"


def pretty(obj: object, indent: str = "") -> str:
    """Multi-line text of a TL object; bytes fields holding TL objects are shown decoded."""
    if isinstance(obj, TLObject):
        inner_indent = indent + "  "
        lines = [f"{obj.TL_NAME} {{"]
        for name, _tl_type, _flag, _bit in obj.TL_FIELDS:
            value = getattr(obj, name)
            if value is None:
                continue
            lines.append(f"{inner_indent}{name} = {pretty(value, inner_indent)}")
        lines.append(f"{indent}}}")
        return "\n".join(lines) if len(lines) > 2 else f"{obj.TL_NAME} {{}}"
    if isinstance(obj, bytes):
        return _bytes(obj, indent)
    if isinstance(obj, tuple):
        if not obj:
            return "[]"
        inner_indent = indent + "  "
        items = [f"{inner_indent}{pretty(v, inner_indent)}" for v in obj]
        return "[\n" + "\n".join(items) + f"\n{indent}]"
    return repr(obj)
