"""HTTP/1.x without I/O: requests and responses parsed by llhttp (through httptools), heads
encoded here. Strict and bounded.

llhttp (Node.js's parser; httptools is its binding, as uvicorn uses it) does the byte-level
work in C and refuses what RFC 9112 refuses where request smuggling lives: bare LF line ends,
obsolete line folding, whitespace before a colon, chunk sizes with anything but hex digits
(`0x54`, a trailing space), Content-Length with Transfer-Encoding, a doubled Content-Length,
`chunked` twice or not last. On top of it, checks it leaves to the application: exactly one
`Host` (RFC 9112 3.2), no transfer coding but plain `chunked` (501, RFC 9112 6.1), HTTP/1.0
with Transfer-Encoding closes the connection (RFC 9112 6.1), bounds on the head (431) and the
body (413).

`RequestReader` keeps one parser per connection, so requests that arrive back to back are
parsed in order and wait in `ready`; `ResponseReader` reads one response.
"""

from __future__ import annotations

import collections
import email.utils
import functools
import re
import time
from http import HTTPStatus
from urllib.parse import urlsplit

import httptools

from cocoon.http.errors import (
    HttpBodyTooLarge,
    HttpConnectionClosed,
    HttpError,
    HttpHeadTooLarge,
    HttpNotImplemented,
    HttpProtocolError,
    HttpRequestError,
)

Headers = list[tuple[str, str]]

MAX_HEAD_SIZE = 64 * 1024
MAX_HEADERS = 256

_TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_FIELD = _TOKEN + rb":[ \t]*[^\x00-\x08\x0a-\x1f\x7f]*\r\n"
# A whole header block (each line ends with CRLF): validation in one C call.
_HEADER_BLOCK = re.compile(rb"(?:" + _FIELD + rb")*")
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


class RequestHead:
    """A request's line and headers, with what its framing means."""

    __slots__ = (
        "chunked",
        "expect_continue",
        "headers",
        "http_version",
        "keep_alive",
        "length",
        "method",
        "target",
    )

    def __init__(
        self,
        method: str,
        target: str,
        http_version: str,
        headers: Headers,
        *,
        keep_alive: bool,
        length: int | None = None,
        chunked: bool = False,
        expect_continue: bool = False,
    ) -> None:
        self.method = method
        self.target = target  # origin-form (path and query), or `*`
        self.http_version = http_version  # "1.1" or "1.0"
        self.headers = headers  # as received (values without surrounding whitespace)
        self.keep_alive = keep_alive
        self.length = length  # Content-Length, if given
        self.chunked = chunked
        self.expect_continue = expect_continue


class _Stop(Exception):
    """Raised from a parser callback to stop parsing where we have what we need."""


def _decode_headers(raw: list[tuple[bytes, bytes]]) -> Headers:
    return [(n.decode("latin-1"), v.decode("latin-1").strip(" \t")) for n, v in raw]


def _codings(values: list[bytes]) -> list[bytes]:
    return [c.strip(b" \t").lower() for c in b",".join(values).split(b",")]


class RequestReader:
    """Requests from one connection's bytes, in order. `feed(data)` parses what arrived;
    `next_request()` gives the next complete request (head, body) or None, and raises the
    error that stopped parsing once the requests before it were taken. While a request's
    body is still arriving, `current` is its head.
    """

    __slots__ = (
        "_body",
        "_body_size",
        "_error",
        "_fail",
        "_head_bytes",
        "_headers",
        "_parser",
        "_ready",
        "_url",
        "current",
        "max_body_size",
        "max_head_size",
        "started",
    )

    def __init__(self, max_head_size: int = MAX_HEAD_SIZE, max_body_size: int | None = None):
        self.max_head_size = max_head_size
        self.max_body_size = max_body_size
        # The parser holds our callbacks and we hold it: a reference cycle, broken by
        # `close()` so that a connection's reader is freed when it ends, not at the next
        # run of the garbage collector (issue 17).
        self._parser: httptools.HttpRequestParser | None = httptools.HttpRequestParser(self)
        self._ready: collections.deque[tuple[RequestHead, bytes]] = collections.deque()
        self._error: HttpError | None = None
        self._fail: BaseException | None = None
        self._head_bytes = 0  # fed while a head was incomplete: a bound on a head in pieces
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._body_size = 0
        self.current: RequestHead | None = None
        self.started = False  # a request has begun and is not complete

    def feed(self, data: bytes) -> None:
        parser = self._parser
        if self._error is not None or parser is None:
            return  # nothing after an error (or `close`) is parsed
        if self.current is None:
            self._head_bytes += len(data)
        try:
            parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # After a request with `Connection: upgrade` (served, then the connection is
            # closed, see `_head_complete`): what follows is not HTTP.
            self._error = HttpNotImplemented("bytes after a protocol upgrade request")
        except httptools.HttpParserCallbackError as exc:
            fail, self._fail = self._fail, None
            self._error = (
                fail if isinstance(fail, HttpError) else HttpProtocolError(f"bad request: {exc}")
            )
        except httptools.HttpParserError as exc:
            self._error = HttpProtocolError(f"bad request: {exc}")
        else:
            if self.started and self.current is None and self._head_bytes > self.max_head_size:
                self._error = HttpHeadTooLarge(f"request head over {self.max_head_size} bytes")

    def close(self) -> None:
        """The connection ended: drop the parser (see `__init__`)."""
        self._parser = None

    def next_request(self) -> tuple[RequestHead, bytes] | None:
        if self._ready:
            return self._ready.popleft()
        if self._error is not None:
            raise self._error
        return None

    # -- llhttp's callbacks (an exception raised here stops the parser; `feed` reports it)

    def on_message_begin(self) -> None:
        self.started = True
        self._url = b""
        self._headers = []
        self._body = []
        self._body_size = 0

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.current is not None:
            return  # a trailer field: read and dropped
        headers = self._headers
        headers.append((name, value))
        if len(headers) > MAX_HEADERS:
            self._fail = HttpHeadTooLarge(f"more than {MAX_HEADERS} headers")
            raise self._fail

    def on_headers_complete(self) -> None:
        try:
            self.current = self._head_complete()
        except HttpError as exc:
            self._fail = exc
            raise
        self._head_bytes = 0

    def on_body(self, body: bytes) -> None:
        self._body_size += len(body)
        if self.max_body_size is not None and self._body_size > self.max_body_size:
            self._fail = HttpBodyTooLarge(f"request body over {self.max_body_size} bytes")
            raise self._fail
        self._body.append(body)

    def on_message_complete(self) -> None:
        head = self.current
        assert head is not None
        body = self._body
        self._ready.append((head, body[0] if len(body) == 1 else b"".join(body)))
        self.current = None
        self.started = False
        self._head_bytes = 0
        self._body = []

    def _head_complete(self) -> RequestHead:
        parser = self._parser
        assert parser is not None  # called back by it
        url = self._url
        raw = self._headers
        size = len(url) + sum([len(n) + len(v) + 4 for n, v in raw]) + 16
        if size > self.max_head_size:
            raise HttpHeadTooLarge(f"request head over {self.max_head_size} bytes")
        method = parser.get_method().decode("ascii")
        version = parser.get_http_version()
        if version not in ("1.1", "1.0"):
            raise HttpProtocolError(f"unsupported HTTP version {version}")
        if method == "CONNECT":
            raise HttpNotImplemented("CONNECT is not supported: this is not a proxy")
        hosts = []
        te = []
        length = None
        expect = False
        upgrade = False
        connection = b""
        for name, value in raw:
            lname = name.lower()
            if lname == b"host":
                hosts.append(value)
            elif lname == b"content-length":
                length = int(value)  # llhttp checked it: digits, only one
            elif lname == b"transfer-encoding":
                te.append(value)
            elif lname == b"expect":
                expect = value.strip(b" \t").lower() == b"100-continue"
            elif lname == b"connection":
                connection += b"," + value.lower()
            elif lname == b"upgrade":
                upgrade = True
        # RFC 9112 3.2: a 1.1 request has exactly one Host; no request has two.
        if len(hosts) > 1:
            raise HttpProtocolError("more than one Host header")
        if not hosts and version == "1.1":
            raise HttpProtocolError("an HTTP/1.1 request without a Host header")
        keep_alive = parser.should_keep_alive()
        chunked = False
        if te:
            codings = _codings(te)
            if codings[-1] != b"chunked":
                # RFC 9112 6.3: the length of the body cannot be known.
                raise HttpProtocolError("a request whose last transfer coding is not chunked")
            if codings != [b"chunked"]:
                # llhttp took `gzip, chunked` as chunked; we decode no other coding.
                raise HttpNotImplemented(
                    f"unsupported transfer coding {b', '.join(te).decode('latin-1')!r}"
                )
            chunked = True
            if version == "1.0":
                keep_alive = False  # RFC 9112 6.1: faulty framing, close after answering
        if length is not None and self.max_body_size is not None and length > self.max_body_size:
            raise HttpBodyTooLarge(f"request body of {length} bytes")
        if upgrade and b"upgrade" in connection:
            # llhttp skips the body of an upgrade request and stops after it; we serve the
            # request as plain HTTP and close. One with a body cannot be served so.
            if chunked or length:
                raise HttpNotImplemented("a protocol upgrade request with a body")
            keep_alive = False
        headers = _decode_headers(raw)
        target = url.decode("latin-1")
        if not target.startswith("/") and target != "*":
            target = _origin_form(target, headers)
        return RequestHead(
            method,
            target,
            version,
            headers,
            keep_alive=keep_alive,
            length=length,
            chunked=chunked,
            expect_continue=expect,
        )


def _origin_form(target: str, headers: Headers) -> str:
    """An absolute-form target (`http://host/path?q`) as its path and query. RFC 9112 3.2.2:
    a server MUST accept it, and the host it names replaces the Host header (7.2)."""
    try:
        parts = urlsplit(target)
    except ValueError:
        raise HttpProtocolError(f"invalid request target {target[:80]!r}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        raise HttpProtocolError(f"invalid request target {target[:80]!r}")
    for i, (name, _) in enumerate(headers):
        if name.lower() == "host":
            headers[i] = (name, parts.netloc)
            break
    else:
        headers.append(("Host", parts.netloc))
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


class ResponseHead:
    __slots__ = ("headers", "http_version", "keep_alive", "reason", "status", "until_close")

    def __init__(
        self,
        status: int,
        reason: str,
        http_version: str,
        headers: Headers,
        *,
        keep_alive: bool,
        until_close: bool,
    ) -> None:
        self.status = status
        self.reason = reason
        self.http_version = http_version
        self.headers = headers
        self.keep_alive = keep_alive
        self.until_close = until_close  # the body ends when the server closes


class ResponseReader:
    """One response (after any interim 1xx ones) to a request with `method`. Feed it bytes
    as they arrive: `head` is set once the final head is parsed, `take_body()` gives the
    body bytes parsed so far, `complete` turns true at the end of the body, and `extra`
    tells that bytes followed it (the connection is then not reused). `eof()` at the end of
    the stream ends a body delimited by the close, or raises.
    """

    __slots__ = (
        "_body",
        "_fail",
        "_fed",
        "_head_bytes",
        "_headers",
        "_heads",
        "_interim",
        "_parser",
        "_reason",
        "complete",
        "extra",
        "head",
        "max_head_size",
        "method",
    )

    def __init__(self, method: str, max_head_size: int = MAX_HEAD_SIZE) -> None:
        self.method = method
        self.max_head_size = max_head_size
        # As in RequestReader: a reference cycle with the parser, broken once the response
        # is complete (or by `close()`).
        self._parser: httptools.HttpResponseParser | None = httptools.HttpResponseParser(self)
        self._fail: BaseException | None = None
        self._head_bytes = 0
        self._heads = 0  # heads parsed, interim ones included
        self._fed: list[bytes] | None = [] if method == "HEAD" else None
        self._reason = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._interim = False
        self._body: list[bytes] = []
        self.head: ResponseHead | None = None
        self.complete = False
        self.extra = False

    def feed(self, data: bytes) -> None:
        parser = self._parser
        if self.complete or parser is None:
            self.extra = self.extra or bool(data)
            return
        if self.head is None:
            self._head_bytes += len(data)
            if self._fed is not None:
                self._fed.append(data)
        try:
            parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            fail, self._fail = self._fail, None
            if isinstance(fail, _Stop):
                # Complete. Dropped: the parser, and the stop, whose traceback holds this
                # frame (two reference cycles).
                fail = self._parser = None
                if self._fed is not None:
                    self._after_head_of_head()
                return
            if isinstance(fail, HttpError):
                raise fail from None
            raise HttpProtocolError(f"bad response: {exc}") from None
        except httptools.HttpParserError as exc:
            raise HttpProtocolError(f"bad response: {exc}") from None
        if self.complete:
            self._parser = None
        elif self.head is None and self._head_bytes > self.max_head_size:
            raise HttpHeadTooLarge(f"response head over {self.max_head_size} bytes")

    def close(self) -> None:
        """The response is abandoned: drop the parser (see `__init__`)."""
        self._parser = None

    def _after_head_of_head(self) -> None:
        # The answer to HEAD ends with its head, which llhttp cannot be told: were there
        # bytes after it? Heads end at their first empty line (llhttp takes CRLF only).
        data = b"".join(self._fed or [])
        self._fed = None
        pos = 0
        for _ in range(self._heads):
            pos = data.index(b"\r\n\r\n", pos) + 4
        self.extra = pos < len(data)

    def take_body(self) -> bytes:
        body = self._body
        if not body:
            return b""
        self._body = []
        return body[0] if len(body) == 1 else b"".join(body)

    def eof(self) -> None:
        """The server closed the connection."""
        if self.complete:
            return
        head = self.head
        if head is not None and head.until_close:
            self.complete = True
            self._parser = None
            return
        where = "head" if head is None else "body"
        raise HttpConnectionClosed(f"connection closed before the end of the response {where}")

    # -- llhttp's callbacks

    def on_message_begin(self) -> None:
        if self.complete:
            self.extra = True
            self._fail = _Stop()
            raise self._fail
        self._reason = b""
        self._headers = []

    def on_status(self, reason: bytes) -> None:
        self._reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.head is not None:
            return  # a trailer field: read and dropped
        headers = self._headers
        headers.append((name, value))
        if len(headers) > MAX_HEADERS:
            self._fail = HttpHeadTooLarge(f"more than {MAX_HEADERS} headers")
            raise self._fail

    def on_headers_complete(self) -> None:
        parser = self._parser
        assert parser is not None  # called back by it
        status = parser.get_status_code()
        self._heads += 1
        if status < 200:
            if status == 101:
                self._fail = HttpProtocolError("unexpected 101 Switching Protocols")
                raise self._fail
            self._interim = True  # 100 Continue, 103 Early Hints: skipped
            return
        version = parser.get_http_version()
        if version not in ("1.1", "1.0"):
            self._fail = HttpProtocolError(f"unsupported HTTP version {version}")
            raise self._fail
        raw = self._headers
        te = [v for n, v in raw if n.lower() == b"transfer-encoding"]
        keep_alive = parser.should_keep_alive()
        until_close = False
        bodiless = self.method == "HEAD" or status in (204, 304)
        if te and not bodiless:
            if _codings(te) != [b"chunked"]:
                # We ask for no coding (no TE header): a server may only send chunked.
                self._fail = HttpProtocolError(
                    f"unsupported transfer coding {b', '.join(te).decode('latin-1')!r}"
                )
                raise self._fail
            if version == "1.0":
                keep_alive = False
        elif not bodiless and not any(n.lower() == b"content-length" for n, _ in raw):
            until_close = True
            keep_alive = False
        self.head = ResponseHead(
            status,
            self._reason.decode("latin-1"),
            version,
            _decode_headers(raw),
            keep_alive=keep_alive,
            until_close=until_close,
        )
        if self.method == "HEAD":
            self.complete = True  # llhttp would wait for a body the Content-Length announces
            self._fail = _Stop()
            raise self._fail

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self._interim:
            self._interim = False
            return
        self.complete = True


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


def encode_chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


LAST_CHUNK = b"0\r\n\r\n"
