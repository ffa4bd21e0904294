"""Seal fixtures: a software-mode seal server on 127.0.0.1 and client configs for it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import trio

from cocoon.roles.seal import (
    SealAddress,
    SealClientConfig,
    SealServerConfig,
    SealServerHandle,
    serve_seal,
)


@pytest.fixture
async def seal_server(nursery: trio.Nursery) -> AsyncIterator[SealServerHandle]:
    config = SealServerConfig(address=SealAddress.tcp("127.0.0.1", 0), timeout=5)
    yield await nursery.start(serve_seal, config)


def make_client_config(address: SealAddress, key_name: str = "app", **kw: Any) -> SealClientConfig:
    kw.setdefault("mode", "fake")
    kw.setdefault("timeout", 5)
    return SealClientConfig(key_name=key_name, address=address, **kw)


@pytest.fixture
def client_config() -> Callable[..., SealClientConfig]:
    """`client_config(address, key_name="app", **fields)`: a software-mode client config."""
    return make_client_config
