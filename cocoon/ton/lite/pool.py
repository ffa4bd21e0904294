"""Several liteservers behind one `LiteApi`: health checks, failover, and picking the best.

Each server has its own `LiteClient` (its own connection, in-flight cap and rate limit). A
background task checks every server now and then (a `tcp.ping`, then `getMasterchainInfo`) and
records its round trip and head; a server failing the check stays aside until one passes. A query goes to the best server: up (no recent failure), not
lagging behind the others' head, least loaded, fastest. A server that fails a query (transport
error, timeout, an answer that does not parse) is put aside for a cool-down that grows with
each failure in a row, and the query moves to the next server.

Retrying on another server is safe for every lite_api call the ledger makes: all but
`sendMessage` are reads, and an external message sent twice is harmless on TON (the same
message has the same hash; the wallet's seqno lets at most one copy execute), so
`send_message` goes to several servers at once. A `liteServer.error` is an answer, not a fault:
it is raised at once, not retried.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import attrs
import trio

from cocoon.ton.lite.api import LiteApi
from cocoon.ton.lite.client import ClientOptions, Connector, LiteClient, open_lite_client
from cocoon.ton.lite.config import GlobalConfig, LiteServerConfig
from cocoon.ton.lite.errors import (
    LiteDecodeError,
    LiteError,
    LiteServerError,
    LiteTimeoutError,
    LiteTransportError,
    LiteUnavailableError,
)

_FAILOVER_ERRORS = (LiteTransportError, LiteTimeoutError, LiteDecodeError)


@attrs.frozen
class PoolOptions:
    health_interval: float = 15.0  # seconds between checks of each server
    failure_cooldown: float = 2.0  # a failed server is skipped this long, doubling per failure
    max_cooldown: float = 60.0
    max_lag: int = 2  # masterchain blocks behind the best head before a server is avoided
    max_attempts: int = 3  # servers tried for one query
    send_fanout: int = 2  # servers each external message goes to
    client: ClientOptions = attrs.Factory(ClientOptions)


@attrs.define
class ServerHealth:
    checks: int = 0
    failures_in_a_row: int = 0
    down_until: float = -math.inf
    last_seqno: int | None = None
    last_error: str | None = None


@attrs.define(eq=False)
class PoolMember:
    client: LiteClient
    health: ServerHealth = attrs.Factory(ServerHealth)

    @property
    def name(self) -> str:
        return self.client.name


class LitePool(LiteApi):
    """See the module docstring; make one with `open_lite_pool`."""

    def __init__(self, clients: Sequence[LiteClient], options: PoolOptions | None = None) -> None:
        if not clients:
            raise ValueError("a pool needs at least one liteserver")
        self.options = options or PoolOptions()
        self.members = [PoolMember(c) for c in clients]

    # --- choosing ----------------------------------------------------------------------------

    def best_head(self) -> int | None:
        seqnos = [m.health.last_seqno for m in self.members if m.health.last_seqno is not None]
        return max(seqnos) if seqnos else None

    def ranked(self) -> list[PoolMember]:
        """Members best first. Servers that are down come last, not never: with every server
        down, trying one beats refusing outright."""
        now = trio.current_time()
        head = self.best_head()

        def key(m: PoolMember) -> tuple[bool, bool, float, float]:
            down = m.health.down_until > now
            seqno = m.health.last_seqno
            lagging = head is not None and seqno is not None and head - seqno > self.options.max_lag
            load = m.client.in_flight / m.client.options.max_in_flight
            rtt = m.client.stats.rtt if m.client.stats.rtt is not None else math.inf
            return (down, lagging, load, rtt)

        return sorted(self.members, key=key)

    def healthy(self) -> list[PoolMember]:
        """Members not in a failure cool-down, best first."""
        now = trio.current_time()
        return [m for m in self.ranked() if m.health.down_until <= now]

    def report_failure(self, member: PoolMember, error: BaseException | str) -> None:
        """Put a server aside (also for the proof layer, when an answer does not check)."""
        h = member.health
        h.failures_in_a_row += 1
        h.last_error = str(error)
        cooldown = self.options.failure_cooldown * 2 ** min(h.failures_in_a_row - 1, 10)
        h.down_until = trio.current_time() + min(cooldown, self.options.max_cooldown)

    def _report_success(self, member: PoolMember) -> None:
        member.health.failures_in_a_row = 0
        member.health.down_until = -math.inf

    # --- queries -----------------------------------------------------------------------------

    async def query(
        self,
        function: str,
        fields: dict[str, Any] | None = None,
        *,
        wait_seqno: tuple[int, int] | None = None,
    ) -> dict[str, Any]:
        errors: list[str] = []
        for member in self.ranked()[: self.options.max_attempts]:
            try:
                answer = await member.client.query(function, fields, wait_seqno=wait_seqno)
            except LiteServerError:
                self._report_success(member)  # it answered
                raise
            except _FAILOVER_ERRORS as e:
                self.report_failure(member, e)
                errors.append(f"{member.name}: {e}")
                continue
            self._report_success(member)
            return answer
        raise LiteUnavailableError(f"{function} failed on every liteserver tried: {errors}")

    async def send_message(self, boc: bytes) -> int:
        """Send an external to several servers at once (`send_fanout`), then to the next few
        if none of those took it; the first status that comes back. Raises only when every
        server tried failed."""
        ranked = self.ranked()
        fanout = max(1, self.options.send_fanout)
        errors: list[LiteError] = []
        for start in range(0, len(ranked), fanout):
            statuses = await self._send_to(ranked[start : start + fanout], boc, errors)
            if statuses:
                return statuses[0]
        server_errors = [e for e in errors if isinstance(e, LiteServerError)]
        if server_errors:
            raise server_errors[0]
        raise LiteUnavailableError(f"sendMessage failed on every liteserver tried: {errors}")

    async def _send_to(
        self, targets: Sequence[PoolMember], boc: bytes, errors: list[LiteError]
    ) -> list[int]:
        statuses: list[int] = []

        async def send_one(member: PoolMember) -> None:
            try:
                answer = await member.client.query("liteServer.sendMessage", {"body": boc})
            except LiteServerError as e:
                self._report_success(member)
                errors.append(e)
            except _FAILOVER_ERRORS as e:
                self.report_failure(member, e)
                errors.append(e)
            else:
                self._report_success(member)
                statuses.append(answer["status"])

        async with trio.open_nursery() as nursery:
            for member in targets:
                nursery.start_soon(send_one, member)
        return statuses

    # --- health ------------------------------------------------------------------------------

    async def check(self, member: PoolMember) -> bool:
        """Check one server now: a ping, then its head. True when both answered; a server that
        fails stays out of the ranking's front until a later check passes."""
        member.health.checks += 1
        try:
            await member.client.ping()
            info = await member.client.get_masterchain_info()
        except LiteError as e:
            self.report_failure(member, e)
            # Out until a check passes: queries should not pay a timeout each to find out.
            member.health.down_until = math.inf
            return False
        member.health.last_seqno = info.last.seqno
        member.health.last_error = None
        self._report_success(member)
        return True

    async def check_all(self) -> None:
        async with trio.open_nursery() as nursery:
            for member in self.members:
                nursery.start_soon(self.check, member)

    async def run_health_checks(self) -> None:
        while True:
            await self.check_all()
            await trio.sleep(self.options.health_interval)


@asynccontextmanager
async def open_lite_pool(
    servers: GlobalConfig | Sequence[LiteServerConfig],
    *,
    options: PoolOptions | None = None,
    connect: Callable[[LiteServerConfig], Connector] | None = None,
    health_checks: bool = True,
) -> AsyncIterator[LitePool]:
    """A pool over the liteservers of a global config (or a list), its tasks bound to this block.

    `connect` makes the connector for a server (tests pass memory streams); by default, TCP.
    """
    options = options or PoolOptions()
    configs = servers.liteservers if isinstance(servers, GlobalConfig) else tuple(servers)
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                open_lite_client(
                    s.host,
                    s.port,
                    s.public_key,
                    options=options.client,
                    connect=connect(s) if connect is not None else None,
                    name=s.name,
                )
            )
            for s in configs
        ]
        pool = LitePool(clients, options)
        async with trio.open_nursery() as nursery:
            if health_checks:
                nursery.start_soon(pool.run_health_checks)
            try:
                yield pool
            finally:
                nursery.cancel_scope.cancel()
