"""Serving a role's Quart-Trio app with Hypercorn inside the role's nursery."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import attrs
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve

log = logging.getLogger("cocoon.web")


@attrs.frozen
class WebHandle:
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def _port_of(bind: str) -> int:
    return int(bind.rsplit(":", 1)[1])


async def serve_web(
    app: Any,
    host: str,
    port: int,
    *,
    task_status: trio.TaskStatus[WebHandle] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve `app` on `host:port` (0 = any free port) until cancelled."""
    config = HypercornConfig()
    config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    config.accesslog = None
    config.errorlog = log
    config.keep_alive_timeout = 75
    config.graceful_timeout = 1
    async with trio.open_nursery() as nursery:
        binds = await nursery.start(partial(serve, app, config, mode="asgi"))
        task_status.started(WebHandle(host, _port_of(binds[0])))
