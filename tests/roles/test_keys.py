"""Role keys from the config, a key file, or the seal server (software mode)."""

from __future__ import annotations

import pytest
import trio

from cocoon.errors import ConfigError
from cocoon.roles.common.keys import key_sources, resolve_key
from cocoon.roles.proxy.config import ProxyConfig
from cocoon.roles.seal import SealAddress, SealServerConfig, serve_seal


def test_config_accepts_key_sources(tmp_path):
    config = ProxyConfig.from_dict(
        {
            "owner_address": "UQAuz15H1ZHrZ_psVrAra7HealMIVeFq0wguqlmFno1f3B-m",
            "root_contract_address": "EQBT4hy4vMEZ9uxSCuhw_gBKh9_AwmHXLe7Wo0O4Vh-4kRjJ",
            "keys": {
                "wallet": {"file": str(tmp_path / "w.key")},
                "payment": {
                    "seal": {
                        "key_name": "proxy_payment",
                        "mode": "fake",
                        "address": "tcp:127.0.0.1:1",
                    }
                },
            },
        }
    )
    assert set(config.keys) == {"wallet", "payment"}
    with pytest.raises(ConfigError):
        key_sources({"wallet": {"file": "a", "seal": {}}})


async def test_inline_key_wins_and_a_key_file_is_created_once(tmp_path):
    inline = bytes(range(32))
    sources = key_sources({"wallet": {"file": str(tmp_path / "wallet.key")}})
    assert await resolve_key(inline, sources, "wallet", what="node_wallet_key") == inline
    first = await resolve_key(None, sources, "wallet", what="node_wallet_key")
    assert len(first) == 32 and first != inline
    assert await resolve_key(None, sources, "wallet", what="node_wallet_key") == first
    assert (tmp_path / "wallet.key").stat().st_mode & 0o077 == 0
    with pytest.raises(ConfigError, match=r"keys\.payment"):
        await resolve_key(None, sources, "payment", what="machine_specific_private_key")


async def test_keys_from_the_seal_server_are_persistent_per_name():
    async with trio.open_nursery() as nursery:
        server = await nursery.start(
            serve_seal, SealServerConfig(address=SealAddress.tcp("127.0.0.1", 0), timeout=5)
        )
        address = f"tcp:127.0.0.1:{server.address.port}"

        def source(name: str) -> dict:
            return key_sources(
                {
                    "payment": {
                        "seal": {"key_name": name, "mode": "fake", "address": address, "timeout": 5}
                    }
                }
            )

        a = await resolve_key(None, source("proxy_payment"), "payment", what="payment key")
        b = await resolve_key(None, source("proxy_payment"), "payment", what="payment key")
        c = await resolve_key(None, source("wallet"), "payment", what="payment key")
        assert a == b != c and len(a) == 32
        nursery.cancel_scope.cancel()


@pytest.mark.parametrize(
    ("cls", "known"),
    [("proxy", "payment, wallet"), ("worker", "wallet"), ("client", "wallet")],
)
def test_an_unknown_key_name_is_a_config_error(cls, known, tmp_path):
    """A misspelt name (`{"keys": {"walet": ...}}`) used to be ignored without a word."""
    from cocoon.roles.client.config import ClientConfig
    from cocoon.roles.worker.config import WorkerConfig

    owner = {"owner_address": "UQA", "root_contract_address": "EQA"}
    config, data = {
        "proxy": (ProxyConfig, owner),
        "worker": (WorkerConfig, owner | {"model_name": "m", "forward_requests_to": "h:8000"}),
        "client": (ClientConfig, owner),
    }[cls]
    source = {"file": str(tmp_path / "k")}
    with pytest.raises(
        ConfigError, match=rf"^\w+: keys: unknown key name 'nope' \(known: {known}\)$"
    ):
        config.from_dict(data | {"keys": {"nope": source, "wallet": source}})
    assert set(config.from_dict(data | {"keys": {"wallet": source}}).keys) == {"wallet"}
