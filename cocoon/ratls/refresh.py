"""Certificate refresh without dropping connections (spec 20 sections 6.7 and 9).

An `IdentityHolder` is what dialers and servers are given instead of a fixed `Identity`:
every new connection takes the holder's current identity, established connections keep the
one they were made with. Its `run()` task keeps it fresh in one of two ways:

* files (`IdentityHolder.from_files(base)`, the reference's `-C BASE`): every `interval`
  seconds, when `BASE_cert.pem` or `BASE_key.pem` changed, load both and swap them in only if
  the key matches the certificate (the reference's writer renames them one at a time);
* self-made (`IdentityHolder.generated(mode)`): make a new key and certificate when the
  current one has less than `refresh_margin` seconds left.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import trio

from cocoon.errors import CocoonError
from cocoon.ratls.cert import Mode
from cocoon.ratls.identity import NOT_BEFORE_BACKDATE_SECONDS, Identity, cert_paths

log = logging.getLogger("cocoon.ratls.refresh")

DEFAULT_INTERVAL = 60.0
DEFAULT_REFRESH_MARGIN = 3600.0


class IdentityHolder:
    def __init__(
        self, identity: Identity, *, base: str | Path | None = None, mode: Mode | None = None
    ) -> None:
        self._identity = identity
        self.base = None if base is None else Path(base)
        self.mode = mode
        self.generation = 0  # how many times the identity was replaced
        self._mtime = self._files_mtime() if self.base is not None else None

    @property
    def identity(self) -> Identity:
        return self._identity

    @classmethod
    def from_files(cls, base: str | Path) -> IdentityHolder:
        return cls(Identity.load(base), base=base)

    @classmethod
    def generated(cls, mode: Mode | str, **kwargs: object) -> IdentityHolder:
        mode = Mode.parse(mode) if isinstance(mode, str) else mode
        return cls(Identity.generate(mode, **kwargs), mode=mode)

    def replace(self, identity: Identity) -> None:
        self._identity = identity
        self.generation += 1

    def _files_mtime(self) -> int | None:
        assert self.base is not None
        try:
            return max(p.stat().st_mtime_ns for p in cert_paths(self.base))
        except OSError:
            return None

    def reload_files(self) -> bool:
        """Swap in the files' identity if they changed and form a valid pair."""
        mtime = self._files_mtime()
        if mtime is None or mtime == self._mtime:
            return False
        try:
            identity = Identity.load(self.base)
        except CocoonError as e:
            log.warning("certificate files %s changed but do not load yet: %s", self.base, e)
            return False  # retried next tick; mtime not recorded
        self._mtime = mtime
        self.replace(identity)
        log.info("loaded a new certificate from %s (valid until %s)", self.base, identity.not_after)
        return True

    async def regenerate_if_expiring(
        self, *, refresh_margin: float, clock: Callable[[], float] = time.time
    ) -> bool:
        if self.mode is None:
            return False
        left = self._identity.not_after.timestamp() - clock()
        if left > refresh_margin:
            return False
        mode = self.mode
        start = int(clock()) - NOT_BEFORE_BACKDATE_SECONDS
        identity = await trio.to_thread.run_sync(lambda: Identity.generate(mode, now=start))
        self.replace(identity)
        log.info("made a new %s certificate (valid until %s)", mode.value, identity.not_after)
        return True

    async def run(
        self,
        *,
        interval: float = DEFAULT_INTERVAL,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
        clock: Callable[[], float] = time.time,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Keep the identity fresh until cancelled."""
        task_status.started()
        while True:
            await trio.sleep(interval)
            try:
                if self.base is not None:
                    self.reload_files()
                else:
                    await self.regenerate_if_expiring(refresh_margin=refresh_margin, clock=clock)
            except CocoonError as e:  # a TDX hiccup: keep the old identity, try again
                log.warning("certificate refresh failed: %s", e)
