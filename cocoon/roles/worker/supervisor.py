"""Running the inference server (`vllm serve ...`) as a child of the worker's nursery.

The child is started, probed until it answers (`ready_path`, within `start_timeout`), watched,
and restarted with exponential backoff when it exits; cancelling the worker terminates it
(SIGTERM, then SIGKILL after a grace period). Its output goes to the worker's log.
"""

from __future__ import annotations

import logging
import subprocess

import attrs
import trio

from cocoon.errors import ConfigError
from cocoon.http.client import HttpClient
from cocoon.http.errors import HttpError

log = logging.getLogger("cocoon.worker.inference")


@attrs.frozen
class ChildSpec:
    command: tuple[str, ...]
    host: str
    port: int
    ready_path: str = "/v1/models"
    start_timeout: float = 7200.0
    probe_interval: float = 1.0
    backoff: tuple[float, float] = (1.0, 60.0)
    stop_grace: float = 10.0


@attrs.define
class ChildState:
    starts: int = 0
    pid: int | None = None
    running: bool = False
    ready: bool = False
    last_exit: int | None = None


async def _probe(client: HttpClient, path: str) -> bool:
    try:
        async with client.request("GET", path) as resp:
            await resp.read()
            return resp.status == 200
    except (HttpError, OSError):
        return False


async def _pump_output(stream: trio.abc.ReceiveStream, name: str) -> None:
    buf = b""
    async for chunk in stream:
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            log.info("%s: %s", name, line.decode(errors="replace"))


async def _terminate(proc: trio.Process, grace: float) -> None:
    with trio.CancelScope(shield=True):
        if proc.returncode is None:
            proc.terminate()
            with trio.move_on_after(grace):
                await proc.wait()
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def supervise(
    spec: ChildSpec,
    state: ChildState | None = None,
    *,
    task_status: trio.TaskStatus[ChildState] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Keep the child running until cancelled; `started` once it first answers."""
    state = state or ChildState()
    delay = spec.backoff[0]
    started = False
    async with HttpClient(spec.host, spec.port, max_connections=2) as client:
        while True:
            state.starts += 1
            try:
                proc = await trio.lowlevel.open_process(
                    list(spec.command), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
                )
            except OSError as e:
                # The bare "[Errno 2] No such file or directory: 'vllm'" does not say whence.
                raise ConfigError(
                    f"inference_command: cannot run {spec.command[0]!r}: {e.strerror or e}"
                ) from e
            state.running = True
            state.pid = proc.pid
            name = spec.command[0].rsplit("/", 1)[-1]
            log.info("started %s (pid %d)", " ".join(spec.command), proc.pid)
            try:
                async with trio.open_nursery() as nursery:
                    assert proc.stdout is not None
                    nursery.start_soon(_pump_output, proc.stdout, name)
                    with trio.move_on_after(spec.start_timeout) as waiting:
                        # Polling is the only way to learn that an HTTP server came up.
                        while proc.returncode is None and not await _probe(client, spec.ready_path):  # noqa: ASYNC110
                            await trio.sleep(spec.probe_interval)
                    if proc.returncode is None and not waiting.cancelled_caught:
                        state.ready = True
                        delay = spec.backoff[0]
                        if not started:
                            started = True
                            task_status.started(state)
                    elif waiting.cancelled_caught:
                        log.error(
                            "%s did not answer within %g s; restarting", name, spec.start_timeout
                        )
                        await _terminate(proc, spec.stop_grace)
                    await proc.wait()
                    nursery.cancel_scope.cancel()
            finally:
                await _terminate(proc, spec.stop_grace)
                state.running = state.ready = False
                state.last_exit = proc.returncode
            log.warning("%s exited with %s; restarting in %.1f s", name, proc.returncode, delay)
            await trio.sleep(delay)
            delay = min(delay * 2, spec.backoff[1])
