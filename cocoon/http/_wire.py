"""HTTP/1.x message heads and chunked bodies, without I/O: strict, bounded, and cheap.

Heads are checked with one regular expression each and split with another, so the work per
header happens in C. Accepted: `HTTP/1.0` and `HTTP/1.1`, CRLF line ends only, token header
names, values without control characters (tab allowed), no obsolete line folding.
"""

from __future__ import annotations

import email.utils
import functools
import re
import time
from http import HTTPStatus

from cocoon.http.errors import (
    HttpBodyTooLarge,
    HttpHeadTooLarge,
    HttpProtocolError,
    HttpRequestError,
)

Headers = list[tuple[str, str]]

MAX_HEAD_SIZE = 64 * 1024
MAX_HEADERS = 256
MAX_CHUNK_LINE = 4096

_TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_FIELD = _TOKEN + rb":[ \t]*[^\x00-\x08\x0a-\x1f\x7f]*\r\n"
# A whole header block (each line ends with CRLF): validation in one C call.
_HEADER_BLOCK = re.compile(rb"(?:" + _FIELD + rb")*")
_STATUS_LINE = re.compile(rb"HTTP/1\.([01]) ([0-9]{3})(?: ([^\x00-\x08\x0a-\x1f\x7f]*))?")
_REQUEST_LINE = re.compile(rb"(" + _TOKEN + rb") ([^\x00-\x20\x7f]+) HTTP/1\.([01])")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")
_DIGITS = re.compile(rb"[0-9]{1,18}")
_TOKEN_STR = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_NAME_LIST = re.compile(r"(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+\n)*")
_TARGET_STR = re.compile(r"[^\x00-\x20\x7f]+")

REASONS = {s.value: s.phrase for s in HTTPStatus}


def http_date() -> str:
    """Now as an HTTP Date header value (made once a second)."""
    return _http_date(int(time.time()))


@functools.lru_cache(maxsize=1)
def _http_date(second: int) -> str:
    return email.utils.formatdate(second, usegmt=True)


def parse_headers(block: bytes) -> Headers:
    """Headers from the lines between the start line and the empty line (each ending CRLF)."""
    if _HEADER_BLOCK.fullmatch(block) is None:
        raise HttpProtocolError("malformed header line")
    lines = block.decode("latin-1").split("\r\n")
    lines.pop()  # the empty string after the last CRLF
    if len(lines) > MAX_HEADERS:
        raise HttpHeadTooLarge(f"more than {MAX_HEADERS} headers")
    headers = []
    for line in lines:
        name, _, value = line.partition(":")
        headers.append((name, value.strip(" \t")))
    return headers


def find_head_end(buf: bytes | bytearray, max_size: int) -> int:
    """Index just past the empty line ending a head in `buf`, or -1 if more is needed."""
    i = buf.find(b"\r\n\r\n")
    if i >= 0:
        if i + 4 > max_size:
            raise HttpHeadTooLarge(f"message head over {max_size} bytes")
        return i + 4
    if len(buf) > max_size:
        raise HttpHeadTooLarge(f"message head over {max_size} bytes")
    return -1


def parse_response_head(head: bytes) -> tuple[str, int, str, Headers]:
    """(http_version, status, reason, headers) from a head ending with the empty line."""
    eol = head.find(b"\r\n")
    m = _STATUS_LINE.fullmatch(head, 0, eol)
    if m is None:
        raise HttpProtocolError(f"malformed status line {head[: min(eol, 80)]!r}")
    version = "1.1" if m.group(1) == b"1" else "1.0"
    reason = (m.group(3) or b"").decode("latin-1")
    return version, int(m.group(2)), reason, parse_headers(head[eol + 2 : -2])


def parse_request_head(head: bytes) -> tuple[str, str, str, Headers]:
    """(method, target, http_version, headers) from a head ending with the empty line."""
    eol = head.find(b"\r\n")
    m = _REQUEST_LINE.fullmatch(head, 0, eol)
    if m is None:
        raise HttpProtocolError(f"malformed request line {head[: min(eol, 80)]!r}")
    version = "1.1" if m.group(3) == b"1" else "1.0"
    method = m.group(1).decode("ascii")
    target = m.group(2).decode("latin-1")
    return method, target, version, parse_headers(head[eol + 2 : -2])


def encode_head(start_line: str, headers: Headers | tuple[tuple[str, str], ...]) -> bytes:
    """A head to send; refuses header names and values that would break the framing."""
    try:
        block = "".join([f"{name}: {value}\r\n" for name, value in headers]).encode("latin-1")
        line = start_line.encode("latin-1")
    except UnicodeEncodeError:
        raise HttpRequestError(f"header not encodable as latin-1 in {headers!r}") from None
    names = "".join([f"{name}\n" for name, _ in headers])
    if (
        _HEADER_BLOCK.fullmatch(block) is None
        or _NAME_LIST.fullmatch(names) is None
        or block.count(b"\r\n") != len(headers)  # a CRLF inside a value
    ):
        raise HttpRequestError(f"invalid header in {headers!r}")
    return line + b"\r\n" + block + b"\r\n"


def check_request_line(method: str, target: str) -> None:
    if _TOKEN_STR.fullmatch(method) is None:
        raise HttpRequestError(f"invalid method {method!r}")
    if _TARGET_STR.fullmatch(target) is None:
        raise HttpRequestError(f"invalid request target {target!r}")


def content_length(value: str) -> int:
    raw = value.encode("latin-1").strip(b" \t")
    if _DIGITS.fullmatch(raw) is None:
        # A list of equal values ("5, 5") is allowed by RFC 9110; anything else is not.
        parts = {p.strip(b" \t") for p in raw.split(b",")}
        if len(parts) != 1 or _DIGITS.fullmatch(next(iter(parts))) is None:
            raise HttpProtocolError(f"invalid Content-Length {value!r}")
        raw = parts.pop()
    return int(raw)


class BodyFraming:
    """How a message's body is delimited, from its headers (RFC 9112 §6.3)."""

    __slots__ = ("chunked", "keep_alive", "length", "other_coding")

    def __init__(self, headers: Headers, http_version: str) -> None:
        self.length: int | None = None
        self.chunked = False
        self.other_coding = False  # a transfer coding other than chunked
        connection = None
        te = None
        for name, value in headers:
            lname = name.lower()
            if lname == "content-length":
                n = content_length(value)
                if self.length is not None and n != self.length:
                    raise HttpProtocolError("conflicting Content-Length headers")
                self.length = n
            elif lname == "transfer-encoding":
                te = value if te is None else f"{te}, {value}"
            elif lname == "connection":
                connection = value.lower() if connection is None else f"{connection}, {value}"
        if te is not None:
            codings = [c.strip().lower() for c in te.split(",")]
            if codings[-1] == "chunked":
                self.chunked = True
            else:
                self.other_coding = True
        if connection is None:
            self.keep_alive = http_version == "1.1"
        else:
            tokens = {t.strip() for t in connection.lower().split(",")}
            if "close" in tokens:
                self.keep_alive = False
            else:
                self.keep_alive = http_version == "1.1" or "keep-alive" in tokens


_SIZE, _DATA, _DATA_END, _TRAILER, _DONE = range(5)


class ChunkedDecoder:
    """De-chunks a `Transfer-Encoding: chunked` body fed in any pieces.

    `feed(data)` returns the body bytes now available (maybe b""); `done` turns true after
    the last chunk and the trailer, and `leftover` then holds any bytes fed past the end.
    Extensions are ignored; trailers are read and dropped.
    """

    __slots__ = ("_buf", "_remaining", "_state", "_trailer_bytes", "leftover", "max_size", "total")

    def __init__(self, max_size: int | None = None) -> None:
        self._buf = b""
        self._state = _SIZE
        self._remaining = 0
        self._trailer_bytes = 0
        self.leftover = b""
        self.max_size = max_size
        self.total = 0

    @property
    def done(self) -> bool:
        return self._state == _DONE

    def feed(self, data: bytes) -> bytes:
        if self._state == _DONE:
            self.leftover += data
            return b""
        buf = self._buf + data if self._buf else data
        out: list[bytes] = []
        pos = 0
        n = len(buf)
        state = self._state
        while pos < n:
            if state == _DATA:
                take = min(n - pos, self._remaining)
                out.append(buf[pos : pos + take])
                pos += take
                self._remaining -= take
                if not self._remaining:
                    state = _DATA_END
            elif state == _SIZE:
                eol = buf.find(b"\r\n", pos)
                if eol < 0:
                    if n - pos > MAX_CHUNK_LINE:
                        raise HttpProtocolError("chunk size line too long")
                    break
                size = _chunk_size(buf[pos:eol])
                pos = eol + 2
                self.total += size
                if self.max_size is not None and self.total > self.max_size:
                    raise HttpBodyTooLarge(f"chunked body over {self.max_size} bytes")
                if not size:
                    state = _TRAILER
                    continue
                end = pos + size
                if end + 2 <= n:
                    # Fast path: the whole chunk and its CRLF are here.
                    if buf[end : end + 2] != b"\r\n":
                        raise HttpProtocolError("chunk data not followed by CRLF")
                    out.append(buf[pos:end])
                    pos = end + 2
                else:
                    self._remaining = size
                    state = _DATA
            elif state == _DATA_END:
                if n - pos < 2:
                    break
                if buf[pos : pos + 2] != b"\r\n":
                    raise HttpProtocolError("chunk data not followed by CRLF")
                pos += 2
                state = _SIZE
            else:  # _TRAILER: header lines until an empty one
                eol = buf.find(b"\r\n", pos)
                if eol < 0:
                    if n - pos > MAX_CHUNK_LINE:
                        raise HttpProtocolError("trailer line too long")
                    break
                self._trailer_bytes += eol - pos
                if self._trailer_bytes > MAX_HEAD_SIZE:
                    raise HttpHeadTooLarge("trailers too large")
                empty = eol == pos
                pos = eol + 2
                if empty:
                    state = _DONE
                    self.leftover = buf[pos:]
                    pos = n
        self._state = state
        self._buf = buf[pos:] if pos < n else b""
        if len(out) == 1:
            return out[0]
        return b"".join(out)


def _chunk_size(line: bytes) -> int:
    if not (line.isalnum() and len(line) <= 16):  # the usual bare hex number, checked cheaply
        line = line.split(b";", 1)[0].strip(b" \t")  # extensions and optional whitespace
        if _HEX.fullmatch(line) is None:
            raise HttpProtocolError(f"invalid chunk size {line[:40]!r}")
    try:
        return int(line, 16)
    except ValueError:
        raise HttpProtocolError(f"invalid chunk size {line[:40]!r}") from None


def encode_chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


LAST_CHUNK = b"0\r\n\r\n"
