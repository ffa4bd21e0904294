"""Router configuration from flags and the reference's JSON, with its precedence rules."""

from __future__ import annotations

import json

import pytest

from cocoon.errors import ConfigError
from cocoon.ratls.policy import PolicyKind
from cocoon.ratls.quote import FAKE_IMAGE_HASH, INTEL_ROOT_KEY_ID
from cocoon.roles.router.cli import add_arguments, config_from_args
from cocoon.roles.router.config import PortKind, RouterConfig


def parse(*argv: str) -> RouterConfig:
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return config_from_args(parser.parse_args(argv))


def test_production_command_lines():
    proxy = parse(
        "-R", "11001:localhost:11101@tdx", "-R", "11002:localhost:11102@any", "--serialize-info"
    )
    assert [(p.kind, p.port, p.destination_port, p.policy_name) for p in proxy.ports] == [
        (PortKind.REVERSE, 11001, 11101, "tdx"),
        (PortKind.REVERSE, 11002, 11102, "any"),
    ]
    assert all(proxy.serialize_info_for(p) for p in proxy.ports)
    assert proxy.ports[0].listen_host == "0.0.0.0"
    assert proxy.policies["tdx"].config.allowed_collateral_root_hashes == {INTEL_ROOT_KEY_ID}
    assert proxy.pow_difficulty == 20 and proxy.max_pow_difficulty == 20
    worker = parse("-S", "8116@tdx", "-s", "-m", "24", "-d", "0")
    (port,) = worker.ports
    assert port.kind is PortKind.SOCKS5 and port.listen_host == "127.0.0.1"
    assert worker.max_pow_difficulty == 24 and worker.pow_difficulty == 0


def test_inline_and_named_policies():
    h = FAKE_IMAGE_HASH.hex()
    cfg = parse(
        "-R", f"11001:127.0.0.1:11101@fake_tdx:{h}", "-P", f"mine:fake_tdx:{h}", "-S", "8116@mine"
    )
    inline = cfg.policies["fake_tdx_inline_11001"]
    assert inline.kind is PolicyKind.FAKE_TDX and inline.config.allowed_image_hashes == {
        FAKE_IMAGE_HASH
    }
    assert {p.port: p.policy_name for p in cfg.ports} == {
        11001: "fake_tdx_inline_11001",
        8116: "mine",
    }
    assert cfg.policies["mine"].config.allowed_image_hashes == {FAKE_IMAGE_HASH}
    with pytest.raises(ConfigError, match="built-in type"):
        parse("-S", f"8116@mine:{h}", "-P", "mine:any")
    with pytest.raises(ConfigError, match="64 hex"):
        parse("-S", "8116@any:abcd")


def test_collateral_hashes_replace_the_default():
    other = "ab" * 48
    cfg = parse("-S", "8116@tdx", "--collateral-hash", other)
    assert cfg.policies["tdx"].config.allowed_collateral_root_hashes == {bytes.fromhex(other)}
    with pytest.raises(ConfigError, match="48 bytes"):
        parse("-S", "8116@tdx", "--collateral-hash", "abcd")


def test_json_config_and_precedence(tmp_path):
    path = tmp_path / "router.json"
    path.write_text(
        json.dumps(
            {
                "cert_base_name": "/etc/tdx/tdx",
                "policies": [
                    {
                        "name": "workers",
                        "type": "fake_tdx",
                        "tdx_config": {"allowed_image_hashes": [FAKE_IMAGE_HASH.hex()]},
                    },
                    {"name": "tdx", "type": "any"},  # shadowed by the built-in
                ],
                "ports": [
                    {
                        "port": "11001",
                        "type": "reverse",
                        "policy_name": "workers",
                        "destination_host": "127.0.0.1",
                        "destination_port": 11101,
                        "serialize_info": True,
                    },
                    {
                        "port": 8116,
                        "type": "socks5",
                        "policy_name": "tdx",
                        "allow_policy_from_username": True,
                    },
                ],
            }
        )
    )
    cfg = parse("-c", str(path), "-s")
    assert cfg.cert_base == "/etc/tdx/tdx"
    assert cfg.policies["tdx"].kind is PolicyKind.TDX
    rev, socks = cfg.ports
    assert rev.port == 11001 and cfg.serialize_info_for(rev)
    assert socks.allow_policy_from_username and not cfg.serialize_info_for(socks)  # explicit false
    # CLI ports replace the JSON ones; -C overrides the file's cert
    cfg = parse("-c", str(path), "-S", "9000@workers", "-C", "/tmp/other")
    assert [p.port for p in cfg.ports] == [9000] and cfg.cert_base == "/tmp/other"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "at least one port"),
        (("-S", "8116@nope"), "unknown policy"),
        (("-S", "8116@any", "-S", "8116@any"), "duplicate"),
        (("-S", "80@any"), "outside 1024..65535"),
        (("-R", "11001@any"), "PORT:HOST:DPORT"),
        (("-R", "11001:h:99999@any"), "outside"),
        (("-S", "8116"), "@POLICY"),
        (("-P", "x:sgx", "-S", "8116@x"), "policy type"),
        (("-p", "8116:bogus"), "port type"),
        (("-c", "/nonexistent.json", "-S", "8116@any"), "cannot read"),
    ],
)
def test_bad_configs(argv, message):
    with pytest.raises(ConfigError, match=message):
        parse(*argv)


def test_legacy_port_form():
    cfg = parse("-p", "8116:socks5", "-p", "11001:reverse:fake_tdx:127.0.0.1:11101")
    assert [(p.kind, p.policy_name) for p in cfg.ports] == [
        (PortKind.SOCKS5, "any"),
        (PortKind.REVERSE, "fake_tdx"),
    ]


def test_cli_exit_codes(capsys):
    from cocoon.cli import main

    assert main(["router", "-S", "8116@nope"]) == 1
    assert "unknown policy" in capsys.readouterr().err
    assert main(["router", "-g"]) == 0
    example = json.loads(capsys.readouterr().out)
    assert example["ports"][0]["type"] == "reverse"
