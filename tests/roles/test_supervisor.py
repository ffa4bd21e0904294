"""The worker's supervision of its inference server, with a stand-in command (no GPU here):
`python -m cocoon fake-inference` plays vLLM."""

from __future__ import annotations

import os
import signal
import sys
from functools import partial

import trio

from cocoon.network import free_port
from cocoon.roles.worker.supervisor import ChildSpec, ChildState, supervise


def spec(port: int, *extra: str) -> ChildSpec:
    command = (sys.executable, "-m", "cocoon", "fake-inference", "--port", str(port), *extra)
    return ChildSpec(
        command, "127.0.0.1", port, probe_interval=0.1, backoff=(0.2, 1.0), stop_grace=5
    )


async def test_child_is_started_restarted_and_stopped():
    port = free_port()
    state = ChildState()
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            await nursery.start(partial(supervise, spec(port), state))
            assert state.ready and state.starts == 1
            first_pid = state.pid
            os.kill(first_pid, signal.SIGKILL)  # the server crashes
            while state.starts < 2 or not state.ready:  # noqa: ASYNC110 - watching another process
                await trio.sleep(0.05)
            assert state.pid != first_pid and state.last_exit == -signal.SIGKILL
            pid = state.pid
            nursery.cancel_scope.cancel()
    # Stopping the worker stopped its child.
    try:
        os.kill(pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive


async def test_a_child_that_never_answers_is_restarted():
    port = free_port()
    state = ChildState()
    hang = (sys.executable, "-c", "import time; time.sleep(60)")
    with trio.move_on_after(3):
        await supervise(
            ChildSpec(
                hang,
                "127.0.0.1",
                port,
                start_timeout=0.5,
                probe_interval=0.1,
                backoff=(0.1, 0.2),
                stop_grace=1,
            ),
            state,
        )
    assert state.starts >= 2 and not state.ready


async def test_a_missing_executable_names_inference_command(tmp_path):
    """It used to end the worker with a bare "[Errno 2] No such file or directory: 'vllm'"."""
    import pytest

    from cocoon.errors import ConfigError

    missing = str(tmp_path / "vllm")
    with pytest.raises(
        ConfigError,
        match=rf"^inference_command: cannot run '{missing}': No such file or directory$",
    ):
        await supervise(ChildSpec((missing, "serve"), "127.0.0.1", free_port()))
