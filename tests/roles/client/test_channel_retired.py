"""Which payment channels count as retired (their proxy moved to a new contract)."""

from __future__ import annotations

from types import SimpleNamespace

from pytoniq_core import Address

from cocoon.roles.client.channel import Channel
from cocoon.ton.contracts import ProxyContract
from cocoon.ton.embedded.local import local_params


def _channel(root_version: int | None, contract_version: int) -> Channel:
    params = local_params(params_version=contract_version)
    contract = ProxyContract(
        Address("0:" + "11" * 32), b"\x22" * 32, Address("0:" + "33" * 32), params
    )
    config = None if root_version is None else SimpleNamespace(params_version=root_version)
    return Channel(SimpleNamespace(root=SimpleNamespace(config=config)), contract)


def test_a_channel_is_retired_only_once_the_root_has_newer_params():
    assert _channel(3, 2).retired
    assert not _channel(2, 2).retired
    # A stale read of the root (older than the contract the proxy showed us) is no reason to
    # close a channel, nor is a root not read yet.
    assert not _channel(1, 2).retired
    assert not _channel(None, 2).retired
