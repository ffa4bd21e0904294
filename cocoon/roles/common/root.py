"""The root contract as a role sees it: registered proxies, allowed hashes, prices.

A `RootView` holds the newest `RootConfig` read from the ledger (re-read periodically, spec 40
section 6.1: every 30-60 s in the reference; faster here when asked) or given once (a static
root for runs without a chain). Roles wait on `changed()` to react to a params-version bump.
"""

from __future__ import annotations

import logging
import random
import time

import trio
from pytoniq_core import Address

from cocoon.errors import CocoonError
from cocoon.ton.ledger import Ledger, read_root_config
from cocoon.ton.root import RootConfig

log = logging.getLogger("cocoon.root")


class RootView:
    def __init__(self, address: Address | None, config: RootConfig | None = None) -> None:
        self.address = address
        self.config = config
        self.synced_at: float | None = None  # wall time of the last successful read
        self.last_error: str | None = None
        self._changed = trio.Event()
        self._ledger: Ledger | None = None  # the one `watch` reads

    @property
    def known(self) -> bool:
        return self.config is not None

    def require(self) -> RootConfig:
        if self.config is None:
            raise CocoonError("the root contract has not been read yet")
        return self.config

    def update(self, config: RootConfig, now: float) -> None:
        old = self.config
        self.config = config
        self.synced_at = now
        self.last_error = None
        if old is None or old != config:
            self._changed.set()
            self._changed = trio.Event()

    async def changed(self) -> None:
        """Return at the next change of the root config."""
        await self._changed.wait()

    async def refresh(self, ledger: Ledger) -> RootConfig:
        if self.address is None:
            return self.require()
        config = await read_root_config(ledger, self.address)
        self.update(config, time.time())  # wall time: pages show it as a date
        return config

    async def refresh_now(self) -> bool:
        """Read the root now, out of turn (a peer showed us a newer config); False if this
        view is not watching a ledger or the read failed."""
        if self._ledger is None or self.address is None:
            return False
        try:
            await self.refresh(self._ledger)
        except CocoonError as e:
            self.last_error = str(e)
            return False
        return True

    async def watch(
        self,
        ledger: Ledger,
        *,
        interval: tuple[float, float] = (30.0, 60.0),
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Read the root now (fail if it cannot be read), then again every `interval` seconds
        (uniformly random in the range), keeping the last good config on errors."""
        self._ledger = ledger
        await self.refresh(ledger)
        task_status.started()
        while True:
            await trio.sleep(random.uniform(*interval))
            try:
                await self.refresh(ledger)
            except CocoonError as e:
                self.last_error = str(e)
                log.warning("cannot read the root contract: %s", e)
