"""The TL codec of COCOON (sans-IO): bytes <-> attrs objects with the reference's exact ids.

    from cocoon import tl
    data = tl.encode(tl.TcpPing(id=1))          # boxed: constructor id, then fields
    obj = tl.decode(data, "tcp.Packet")          # strict: every byte must be consumed

Classes are generated from `schema.tl` (see `cocoon.tl.types`); names are CamelCase of the TL
names: `tcp.queryAnswer` -> `TcpQueryAnswer`, `client.runQueryEx` -> `ClientRunQueryEx`.
Every decoding failure raises a `TLDecodeError` subclass naming the type and the offset.
"""

from cocoon.tl import fast as _fast
from cocoon.tl.codec import Reader, TLObject, Writer, decode, decode_bare, encode, encode_bare
from cocoon.tl.errors import (
    TLBadBoolError,
    TLBadFlagsError,
    TLBadLengthError,
    TLDecodeError,
    TLEncodeError,
    TLTrailingDataError,
    TLTruncatedError,
    TLUnknownConstructorError,
    TLWrongConstructorError,
)
from cocoon.tl.types import *  # noqa: F403
from cocoon.tl.types import ALL_CLASSES, BY_NAME

# The hot constructors get specialised codecs, compiled from the classes just imported.
_fast.install()

__all__ = [
    "ALL_CLASSES",
    "BY_NAME",
    "Reader",
    "TLObject",
    "Writer",
    "decode",
    "decode_bare",
    "encode",
    "encode_bare",
    "TLBadBoolError",
    "TLBadFlagsError",
    "TLBadLengthError",
    "TLDecodeError",
    "TLEncodeError",
    "TLTrailingDataError",
    "TLTruncatedError",
    "TLUnknownConstructorError",
    "TLWrongConstructorError",
    *(cls.__name__ for cls in ALL_CLASSES),
]
