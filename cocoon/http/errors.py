"""HTTP failures, under `cocoon.errors`: one type per thing a caller may want to tell apart."""

from __future__ import annotations

from cocoon.errors import CocoonError, ProtocolError


class HttpError(CocoonError):
    """Base of the HTTP layer's errors."""


class HttpConnectError(HttpError):
    """The server could not be reached (refused, unresolvable, unreachable)."""


class HttpConnectionClosed(HttpError):
    """The peer closed or reset the connection before the message was complete."""


class HttpProtocolError(HttpError, ProtocolError):
    """The peer sent bytes that are not HTTP/1.x as we accept it."""


class HttpHeadTooLarge(HttpProtocolError):
    """A request or status line plus headers beyond the configured bound."""


class HttpBodyTooLarge(HttpProtocolError):
    """A body beyond the configured bound."""


class HttpNotImplemented(HttpProtocolError):
    """Valid HTTP that we do not serve: a transfer coding other than chunked, CONNECT, a
    protocol upgrade with a body (answered 501)."""


class HttpRequestError(HttpError, ValueError):
    """A request (or response) we were asked to send is not valid HTTP: bad method, target,
    header name or value (CR/LF injection)."""
