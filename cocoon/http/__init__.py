"""HTTP/1.1 on trio: a lean keep-alive client for inference servers and a small server core.

    async with HttpClient("127.0.0.1", 8000) as client:
        async with client.request("POST", "/v1/chat/completions", body=body) as resp:
            async for chunk in resp.iter_body():
                ...

The message parsing (`_wire`, on llhttp through httptools) is sans-IO; `client` and `server`
are its trio drivers.
"""

from cocoon.http.client import HttpClient, HttpResponse, open_tcp
from cocoon.http.errors import (
    HttpBodyTooLarge,
    HttpConnectError,
    HttpConnectionClosed,
    HttpError,
    HttpHeadTooLarge,
    HttpNotImplemented,
    HttpProtocolError,
    HttpRequestError,
)
from cocoon.http.server import (
    HttpRequest,
    HttpResponder,
    ServerLimits,
    serve_connection,
    serve_http,
)

__all__ = [
    "HttpBodyTooLarge",
    "HttpClient",
    "HttpConnectError",
    "HttpConnectionClosed",
    "HttpError",
    "HttpHeadTooLarge",
    "HttpNotImplemented",
    "HttpProtocolError",
    "HttpRequest",
    "HttpRequestError",
    "HttpResponder",
    "HttpResponse",
    "ServerLimits",
    "open_tcp",
    "serve_connection",
    "serve_http",
]
