"""The dashboards' live channel: `/stats/live`, server-sent events that carry what changed on
a role's `/stats`, so an open page patches its tables in place instead of reloading.

Why server-sent events and not a websocket: the roles serve their apps on our own HTTP/1.1
server (`cocoon.http.asgi`), which streams chunked responses but has no websocket upgrade (a
Quart `@app.websocket` route would never be reached, and trio-websocket would need a second
listener with a second copy of the guard). The push is one way, and a streamed GET passes
the very guard the page passes: `GuardedApp`'s Host and Origin checks (a cross-origin
EventSource sends `Origin` and is refused, 403) and the app's access token. A browser's
EventSource reconnects by itself.

Bounds, per app: one snapshot of the page per `interval`, shared by every live page (a
client's snapshot asks the chain for its wallet); each connection sends at most one event per
`interval`, and only the sections that changed (a comment every `keepalive` otherwise, so a
dead peer is noticed); at most `max_connections` at once (503 beyond: the page falls back to
reloading); each ends after `lifetime` (the browser reconnects through the guard again). All
end with the server's nursery when the role stops.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import attrs
import trio

from cocoon.roles.common.pages import Page
from cocoon.roles.common.webguard import refusal

if TYPE_CHECKING:
    from quart_trio import QuartTrio  # imported at the pages' first request (`lazyapp`)

log = logging.getLogger("cocoon.web")

LIVE_PATH = "/stats/live"
LIVE_FEED = "cocoon.live_feed"  # app.extensions key: the app's LiveFeed
RECONNECT_MS = 2000  # the browser's wait before it reconnects after a stream ends

Snapshot = Callable[[], Awaitable[Page]]


@attrs.frozen
class LiveLimits:
    interval: float = 1.0
    keepalive: float = 15.0
    lifetime: float = 600.0
    max_connections: int = 8


class LiveFeed:
    """The page's snapshots, shared by the live connections of one app, and their count."""

    def __init__(self, snapshot: Snapshot, limits: LiveLimits = LiveLimits()) -> None:
        self._snapshot = snapshot
        self.limits = limits
        self.open = 0  # live connections now streaming
        self._lock = trio.Lock()
        self._page: Page | None = None
        self._parts: dict[str, str] = {}
        self._at = 0.0

    @property
    def full(self) -> bool:
        return self.open >= self.limits.max_connections

    async def current(self) -> tuple[Page, dict[str, str]]:
        """The page now: taken afresh at most once per `interval`, whoever asks."""
        async with self._lock:
            now = trio.current_time()
            if self._page is None or now - self._at >= self.limits.interval:
                self._page = await self._snapshot()
                self._parts = self._page.parts()
                self._at = trio.current_time()
            return self._page, self._parts

    async def events(self) -> AsyncIterator[bytes]:
        """One connection's stream: everything first, then what changed (see `event`)."""
        if self.full:  # raced past the route's check: end now, the browser retries later
            yield f"retry: {RECONNECT_MS * 5}\n\n".encode()
            return
        self.open += 1
        try:
            yield f"retry: {RECONNECT_MS}\n\n".encode()
            limits = self.limits
            sent_subtitle: str | None = None
            sent: dict[str, str] = {}
            last = trio.current_time()
            ends = last + limits.lifetime
            while trio.current_time() < ends:
                page, parts = await self.current()
                message = event(page.subtitle, parts, sent_subtitle, sent)
                if message is not None:
                    yield message
                    sent_subtitle, sent, last = page.subtitle, parts, trio.current_time()
                elif trio.current_time() - last >= limits.keepalive:
                    yield b": keep-alive\n\n"
                    last = trio.current_time()
                await trio.sleep(limits.interval)
        finally:
            self.open -= 1


def event(
    subtitle: str, parts: dict[str, str], sent_subtitle: str | None, sent: dict[str, str]
) -> bytes | None:
    """The event that brings a page showing (`sent_subtitle`, `sent`) to (`subtitle`,
    `parts`), or None when nothing changed: `html` holds the sections whose HTML changed,
    `order` the keys of all sections when that list changed (sections come and go)."""
    message: dict[str, Any] = {"html": {k: v for k, v in parts.items() if sent.get(k) != v}}
    if list(parts) != list(sent):
        message["order"] = list(parts)
    if subtitle != sent_subtitle:
        message["subtitle"] = subtitle
    if len(message) == 1 and not message["html"]:
        return None
    return f"data: {json.dumps(message, separators=(',', ':'))}\n\n".encode()


def live_link(access_hash: str) -> str:
    """`/stats/live` with the access token, as the page's script opens it."""
    return f"{LIVE_PATH}?{urlencode({'access_hash': access_hash})}" if access_hash else LIVE_PATH


def add_live_route(
    app: QuartTrio, snapshot: Snapshot, limits: LiveLimits = LiveLimits()
) -> LiveFeed:
    """Serve `/stats/live` on `app` (behind the app's guard, as every control page) from
    `snapshot`, the same page `/stats` renders."""
    from quart import Response, request

    feed = LiveFeed(snapshot, limits)
    app.extensions[LIVE_FEED] = feed

    @app.route(LIVE_PATH)
    async def stats_live() -> Any:
        if request.method == "HEAD":  # no stream to hold a slot for an answer with no body
            return Response(b"", content_type="text/event-stream")
        if feed.full:
            answer = refusal(
                503, "too many live pages are open; this one reloads instead", "live_pages_busy"
            )
            return Response(
                answer.body, status=503, headers={**dict(answer.all_headers()), "Retry-After": "30"}
            )
        response = Response(
            feed.events(),
            content_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )
        response.timeout = None  # the feed ends itself after `lifetime`
        return response

    return feed
