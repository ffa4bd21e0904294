"""Who may use a role's HTTP server: the Host allow-list, Origin checks, CORS and the access
token of the control pages.

A web page the operator opens must not reach these servers: a cross-origin request could move
the client's funds (`/request/*`), read `/jsonstats`, or spend the operator's money on
`/v1/chat/completions` (a `text/plain` POST needs no preflight). So:

- `Host` must name this server: an IP address (a page can only have that origin if this server
  served it), `localhost`, the bind address, or a name in `http_allowed_hosts`. A
  DNS-rebinding page sends its own domain name and is refused (403).
- An `Origin` header must be this server's own origin, or, on `/v1/*` only, one of the
  client's `cors_origins` (those alone get CORS headers and a preflight answer); any other
  Origin is refused (403). Requests without Origin (SDKs, curl) go through.
- The control pages (everything but `/v1/*`, `/health`, `/perf`; `/metrics` too, which shows
  balances) need the access token
  (`http_access_hash`, generated at start when unset) and change state only by POST with a
  CSRF token (or the token in the `X-Access-Hash` header, which no page can send cross-origin
  without a preflight, never granted): see `webapp.new_app`.

Refusals are OpenAI-shaped JSON, as every other error of ours.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import attrs

from cocoon.openai.errors import ERROR_ERROR, INVALID_REQUEST, error_body

log = logging.getLogger("cocoon.web")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS = ("/health", "/perf")  # readiness probes: no token
WEB_ACCESS = "cocoon.web_access"  # app.extensions key: the app's WebAccess
# The pages may not be framed (a click on a framed button is a forged click), leak the
# token in the URL by Referer to other sites, or be kept in caches. ("same-origin", not
# "no-referrer": under that a browser sends `Origin: null` with our own forms' POSTs.)
PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
_WILDCARD_BINDS = ("", "0.0.0.0", "::")
CORS_METHODS = "GET, POST, OPTIONS"
CORS_ALLOW_HEADERS = "Authorization, Content-Type"
PREFLIGHT_MAX_AGE = "600"
_HOST_ANSWERS_KEPT = 64


# ---------------------------------------------------------------------- config values


def split_host(value: str) -> tuple[str, int | None]:
    """`name`, `name:port`, `[v6]` or `[v6]:port` as (lower-case name, port or None);
    ValueError if it is none of these."""
    text = value.strip().lower()
    if not text:
        raise ValueError("empty host")
    if text.startswith("["):
        name, sep, rest = text[1:].partition("]")
        if not sep:
            raise ValueError(f"unclosed [ in {value!r}")
        ipaddress.IPv6Address(name)  # ValueError if not an address
        if not rest:
            return name, None
        if not rest.startswith(":"):
            raise ValueError(f"expected [address]:port, got {value!r}")
        port_text = rest[1:]
    elif text.count(":") > 1:  # a bare IPv6 address
        ipaddress.IPv6Address(text)
        return text, None
    else:
        name, sep, port_text = text.partition(":")
        if not sep:
            port_text = ""
        elif not port_text:
            raise ValueError(f"empty port in {value!r}")
    if not name or any(c in name for c in "/?#@ \t"):
        raise ValueError(f"expected a host name, got {value!r}")
    if not port_text:
        return name, None
    if not port_text.isdigit() or not 0 < int(port_text) <= 65535:
        raise ValueError(f"expected a port (1 to 65535) in {value!r}")
    return name, int(port_text)


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    if not isinstance(value, list | tuple):
        raise ValueError(f"expected a list of strings, got {type(value).__name__}")
    return [str(v).strip() for v in value]


def to_allowed_hosts(value: Any) -> tuple[str, ...]:
    """The `http_allowed_hosts` key: host names (any port) or `host:port`; `*` turns the Host
    check off (a server behind a reverse proxy that checks it)."""
    out = []
    for item in _as_list(value):
        if item != "*":
            split_host(item)
        out.append(item.lower())
    return tuple(out)


def normalize_origin(value: str) -> str:
    """An origin as browsers send it (`scheme://host[:port]`, lower-case); ValueError else."""
    text = value.strip().lower().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an origin like https://app.example, got {value!r}")
    if parts.path or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(f"an origin has no path, query or user: {value!r}")
    split_host(parts.netloc)
    return f"{parts.scheme}://{parts.netloc}"


def to_cors_origins(value: Any) -> tuple[str, ...]:
    """The client's `cors_origins` key: the web origins allowed to call `/v1/*` from a
    browser, each explicit (`*` is refused: it would hand the operator's API to any page)."""
    out = []
    for item in _as_list(value):
        if item == "*":
            raise ValueError("cors_origins must name each origin; '*' is not allowed")
        out.append(normalize_origin(item))
    return tuple(out)


# ---------------------------------------------------------------------- answers


@attrs.frozen
class Refusal:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()

    def all_headers(self) -> list[tuple[str, str]]:
        return [
            ("Content-Type", "application/json"),
            ("Cache-Control", "no-store"),
            *self.headers,
        ]


def refusal(
    status: int, message: str, code: str, *, headers: Sequence[tuple[str, str]] = ()
) -> Refusal:
    body = error_body(message, type=INVALID_REQUEST, code=code, param=None, error_code=ERROR_ERROR)
    return Refusal(status, body, tuple(headers))


# ---------------------------------------------------------------------- the policy


@attrs.frozen
class Verdict:
    """What the guard decided about one request: refused, or served (with CORS headers for
    an allowed cross-origin caller of `/v1/*`)."""

    refusal: Refusal | None = None
    cors: tuple[tuple[str, str], ...] = ()


SERVE = Verdict()


@attrs.frozen
class WebAccess:
    """A role server's access rules (built from its config by `WebAccess.create`)."""

    access_hash: str
    generated: bool  # the token was made at start (not configured): print it
    bind_host: str = "127.0.0.1"
    allowed_hosts: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    csrf_token: str = attrs.field(factory=lambda: secrets.token_urlsafe(24))
    # Host header -> `host_allowed`'s answer, which depends on nothing else: a server sees
    # the same one or two on every request. Bounded: made-up names beyond it are not kept.
    _host_answers: dict[str, bool] = attrs.field(factory=dict, init=False, repr=False, eq=False)

    @classmethod
    def create(
        cls,
        access_hash: str,
        *,
        bind_host: str,
        allowed_hosts: Sequence[str] = (),
        cors_origins: Sequence[str] = (),
    ) -> WebAccess:
        """`access_hash` as configured; empty: a random one for this run."""
        generated = not access_hash
        return cls(
            access_hash or secrets.token_urlsafe(24),
            generated,
            bind_host.strip("[]").lower(),
            tuple(allowed_hosts),
            tuple(cors_origins),
        )

    # -------------------------------------------------------------- checks

    def host_allowed(self, host: str | None) -> bool:
        """The Host header names this server. (A request without one comes from no browser.)"""
        if host is None:
            return True
        answers = self._host_answers
        known = answers.get(host)
        if known is None:
            known = self._host_allowed(host)
            if len(answers) < _HOST_ANSWERS_KEPT:
                answers[host] = known
        return known

    def _host_allowed(self, host: str) -> bool:
        if "*" in self.allowed_hosts:
            return True
        try:
            name, port = split_host(host)
        except ValueError:
            return False
        if name in LOCAL_HOSTS or (name == self.bind_host and name not in _WILDCARD_BINDS):
            return True
        if _is_ip(name):  # rebinding needs a name of the attacker's; probes use addresses
            return True
        for entry in self.allowed_hosts:
            allowed_name, allowed_port = split_host(entry)
            if allowed_name == name and allowed_port in (None, port):
                return True
        return False

    def token_ok(self, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(
            given.encode("utf-8", "replace"), self.access_hash.encode()
        )

    def csrf_ok(self, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(
            given.encode("utf-8", "replace"), self.csrf_token.encode()
        )

    def form_fields(self) -> dict[str, str]:
        """The hidden fields of a control form on our pages."""
        return {"access_hash": self.access_hash, "csrf_token": self.csrf_token}

    def screen(self, method: str, path: str, host: str | None, origin: str | None) -> Verdict:
        """Host and Origin checks for one request (token and CSRF come later, in the app)."""
        if not self.host_allowed(host):
            return Verdict(
                refusal(
                    403,
                    f"Host {host!r} is not this server's name; add it to http_allowed_hosts "
                    "if it is (this refuses DNS-rebinding pages)",
                    "host_not_allowed",
                )
            )
        api = path.startswith("/v1/")
        cors: tuple[tuple[str, str], ...] = ()
        if origin is not None and not _same_origin(origin, host):
            try:
                allowed = api and normalize_origin(origin) in self.cors_origins
            except ValueError:  # "null" and other opaque origins
                allowed = False
            if not allowed:
                where = "cors_origins" if api else "nothing: the control pages are same-origin only"
                return Verdict(
                    refusal(
                        403,
                        f"requests from web origin {origin!r} are not allowed (allowed: {where})",
                        "origin_not_allowed",
                    )
                )
            cors = (
                ("Access-Control-Allow-Origin", origin),
                ("Vary", "Origin"),
                ("Access-Control-Expose-Headers", "*"),
            )
        if method == "OPTIONS":
            headers = [("Allow", CORS_METHODS)]
            if cors:
                headers += [
                    *cors[:2],
                    ("Access-Control-Allow-Methods", CORS_METHODS),
                    ("Access-Control-Allow-Headers", CORS_ALLOW_HEADERS),
                    ("Access-Control-Max-Age", PREFLIGHT_MAX_AGE),
                ]
            return Verdict(Refusal(204, b"", tuple(headers)))
        return Verdict(None, cors) if cors else SERVE


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _same_origin(origin: str, host: str | None) -> bool:
    parts = urlsplit(origin.strip().lower())
    return (
        host is not None
        and parts.scheme in ("http", "https")
        and parts.netloc == host.strip().lower()
    )


# ---------------------------------------------------------------------- ASGI and native


def _scope_header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


class GuardedApp:
    """ASGI middleware: `WebAccess.screen` before the app; CORS headers added to the
    answers of an allowed cross-origin `/v1/*` caller."""

    def __init__(self, app: ASGIApp, access: WebAccess) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        verdict = self.access.screen(
            scope["method"],
            scope["path"],
            _scope_header(scope, b"host"),
            _scope_header(scope, b"origin"),
        )
        if verdict.refusal is not None:
            await send_refusal(send, verdict.refusal)
            return
        if verdict.cors:
            extra = [(k.lower().encode(), v.encode("latin-1")) for k, v in verdict.cors]
            inner = send

            async def send_with_cors(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
                await inner(message)

            send = send_with_cors
        await self.app(scope, receive, send)


async def send_refusal(send: Send, answer: Refusal) -> None:
    headers = [(k.lower().encode(), v.encode("latin-1")) for k, v in answer.all_headers()]
    headers.append((b"content-length", str(len(answer.body)).encode()))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body, "more_body": False})


class CorsResponder:
    """A responder that adds CORS headers to the head it sends; everything else is the
    wrapped responder's (attributes read and set pass through)."""

    __slots__ = ("_cors", "_inner")

    def __init__(self, inner: Any, cors: Sequence[tuple[str, str]]) -> None:
        object.__setattr__(self, "_inner", inner)
        object.__setattr__(self, "_cors", list(cors))

    async def respond(
        self, status: int, headers: Sequence[tuple[str, str]] = (), body: bytes = b""
    ) -> None:
        await self._inner.respond(status, [*headers, *self._cors], body)

    async def start(
        self, status: int, headers: Sequence[tuple[str, str]] = (), *args: Any, **kw: Any
    ) -> None:
        await self._inner.start(status, [*headers, *self._cors], *args, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._inner, name, value)


Handler = Callable[[Any, Any], Awaitable[None]]


def guard_native(handler: Handler, access: WebAccess) -> Handler:
    """A native (non-ASGI) route handler behind the same Host and Origin checks."""

    async def guarded(request: Any, responder: Any) -> None:
        verdict = access.screen(
            request.method, request.path, request.header("host"), request.header("origin")
        )
        if verdict.refusal is not None:
            answer = verdict.refusal
            await responder.respond(answer.status, answer.all_headers(), answer.body)
            return
        if verdict.cors:
            responder = CorsResponder(responder, verdict.cors)
        await handler(request, responder)

    return guarded
