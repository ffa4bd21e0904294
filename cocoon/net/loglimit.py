"""Log lines that peers can cause, at a bounded rate.

A peer that sends a thousand bad packets, or opens a thousand connections that fail, must not
write a thousand lines: per key (what kind of line it is), at most `burst` lines per
`interval` seconds are written; the first one held back says so, and the next line written for
that key says how many were held back.

    peer_log = RateLimitedLog(logging.getLogger("cocoon.net.session"))
    peer_log.warning("closing", "%s: closing: %s", name, reason)
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable


class _Window:
    __slots__ = ("start", "suppressed", "written")

    def __init__(self, start: float) -> None:
        self.start = start
        self.written = 0
        self.suppressed = 0


class RateLimitedLog:
    """A logger's `log` with at most `burst` lines per key per `interval` seconds."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        burst: int = 5,
        interval: float = 60.0,
        max_keys: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.burst = burst
        self.interval = interval
        self.max_keys = max_keys  # keys are few kinds of lines; this bounds a bug's cost
        self.clock = clock
        self._windows: OrderedDict[Hashable, _Window] = OrderedDict()

    def log(self, level: int, key: Hashable, msg: str, *args: object) -> bool:
        """Write the line unless `key` used up its lines for now; True if it was written."""
        if not self.logger.isEnabledFor(level):
            return False
        now = self.clock()
        window = self._windows.get(key)
        if window is None or now - window.start >= self.interval:
            if window is not None and window.suppressed:
                self.logger.log(
                    level,
                    "(%d more lines like the next were not written in %g s)",
                    window.suppressed,
                    now - window.start,
                )
            window = self._windows[key] = _Window(now)
            while len(self._windows) > self.max_keys:
                self._windows.popitem(last=False)
        self._windows.move_to_end(key)
        if window.written < self.burst:
            window.written += 1
            self.logger.log(level, msg, *args)
            return True
        if not window.suppressed:
            self.logger.log(
                level,
                "(more lines like the last are not written for %.0f s)",
                window.start + self.interval - now,
            )
        window.suppressed += 1
        return False

    def warning(self, key: Hashable, msg: str, *args: object) -> bool:
        return self.log(logging.WARNING, key, msg, *args)

    def info(self, key: Hashable, msg: str, *args: object) -> bool:
        return self.log(logging.INFO, key, msg, *args)
