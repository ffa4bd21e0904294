"""The worker probes its inference server and is disabled while it does not answer."""

from __future__ import annotations

from functools import partial

import attrs
import trio

from cocoon.backends.fake import FakeInferenceConfig, serve_fake_inference
from cocoon.network import free_port
from cocoon.roles.worker.config import WorkerConfig
from cocoon.roles.worker.runner import run_worker

from .netutil import eventually

OWNER = "UQAuz15H1ZHrZ_psVrAra7HealMIVeFq0wguqlmFno1f3B-m"


async def test_uplink_down_up_down():
    port = free_port()
    config = WorkerConfig(
        model_name="Qwen/Qwen3-8B",
        owner_address=OWNER,
        forward_requests_to=f"127.0.0.1:{port}",
        proxies=(f"127.0.0.1:{free_port()}",),  # nobody there: the worker keeps redialling
        is_test=True,
        uplink_interval=0.1,
        uplink_failures=2,
    )
    async with trio.open_nursery() as nursery:
        handle = await nursery.start(partial(run_worker, config))
        node = handle.node
        assert node.disabled and not node.uplink_ok  # a fresh worker starts disabled
        with trio.CancelScope() as backend_scope:
            async with trio.open_nursery() as backend_nursery:
                await backend_nursery.start(
                    partial(serve_fake_inference, FakeInferenceConfig(), port=port)
                )
                await eventually(lambda: node.uplink_ok, within=5)
                assert not node.disabled
                backend_scope.cancel()
        await eventually(lambda: not node.uplink_ok, within=5)
        assert node.disabled and node.uplink_error
        nursery.cancel_scope.cancel()


async def test_an_unknown_proxy_policy_is_a_config_error():
    """It used to end the worker with a KeyError from the policy table."""
    import pytest

    from cocoon.errors import ConfigError

    config = WorkerConfig(
        model_name="Qwen/Qwen3-8B",
        owner_address=OWNER,
        forward_requests_to=f"127.0.0.1:{free_port()}",
        proxy_policy="bogus",
    )
    with pytest.raises(ConfigError, match="unknown attestation policy 'bogus'"):
        await run_worker(config)


async def test_a_state_path_in_a_missing_folder_is_a_config_error(tmp_path):
    """It used to start and fail only when the first payout was saved."""
    import pytest

    from cocoon.errors import ConfigError

    config = WorkerConfig(
        model_name="Qwen/Qwen3-8B",
        owner_address=OWNER,
        forward_requests_to=f"127.0.0.1:{free_port()}",
        state_path=tmp_path / "missing" / "earnings.json",
    )
    with trio.fail_after(5):  # without the check the worker runs on
        with pytest.raises(ConfigError, match=f"^state_path: folder {tmp_path}/missing does not"):
            await run_worker(config)
        with pytest.raises(ConfigError, match="is a folder"):
            await run_worker(attrs.evolve(config, state_path=tmp_path))
