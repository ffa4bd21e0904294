"""Reference-style config files: coercions, unknown keys, clear errors."""

from __future__ import annotations

import base64
import json

import attrs
import pytest

from cocoon.errors import ConfigError
from cocoon.roles.common.config import (
    from_mapping,
    load_mapping,
    to_bool,
    to_int,
    to_optional_bytes32,
)


@attrs.frozen
class Sample:
    http_port: int = attrs.field(default=0, converter=to_int)
    is_test: bool = attrs.field(default=False, converter=to_bool)
    key: bytes | None = attrs.field(
        default=None, converter=to_optional_bytes32, metadata={"key": "node_wallet_key"}
    )
    name: str = "x"


def test_reference_coercions():
    key = bytes(range(32))
    cfg = from_mapping(
        Sample,
        {"http_port": "10000", "is_test": "1", "node_wallet_key": base64.b64encode(key).decode()},
    )
    assert cfg == Sample(http_port=10000, is_test=True, key=key)
    assert to_int(7) == 7 and to_bool("false") is False and to_bool(0) is False
    assert to_optional_bytes32(key.hex()) == key and to_optional_bytes32("") is None


def test_unknown_keys_are_ignored_with_a_warning(caplog):
    assert from_mapping(Sample, {"rpc_port": 1}) == Sample()
    assert "rpc_port" in caplog.text


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"http_port": "ten"}, "http_port"),
        ({"is_test": "maybe"}, "is_test"),
        ({"node_wallet_key": "AAAA"}, "node_wallet_key"),
    ],
)
def test_bad_values_name_the_key(data, needle):
    with pytest.raises(ConfigError, match=needle):
        from_mapping(Sample, data, source="worker.json")


def test_load_mapping_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_mapping(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load_mapping(tmp_path / "missing.json")
    arr = tmp_path / "arr.json"
    arr.write_text(json.dumps([1]))
    with pytest.raises(ConfigError, match="JSON object"):
        load_mapping(arr)


PROXY = {"owner_address": "UQA", "root_contract_address": "EQA"}
WORKER = PROXY | {"model_name": "m", "forward_requests_to": "127.0.0.1:8000"}


@pytest.mark.parametrize(
    ("cls", "data", "needle"),
    [
        ("proxy", PROXY | {"workers_rpc_port": 70000}, "workers_rpc_port: expected a port"),
        ("proxy", PROXY | {"client_rpc_port": -1}, "client_rpc_port: expected a port"),
        ("proxy", PROXY | {"http_port": 65536}, "http_port: expected a port"),
        ("client", {"owner_address": "UQA", "http_port": 99999}, "http_port: expected a port"),
        ("worker", WORKER | {"http_port": 70000}, "http_port: expected a port"),
        ("worker", WORKER | {"proxies": ["127.0.0.1:99999"]}, "proxies: expected <host>:<port>"),
        ("worker", WORKER | {"forward_requests_to": "127.0.0.1:0"}, "forward_requests_to"),
        ("client", {"owner_address": "UQA", "proxies": ["h:70000"]}, "proxies"),
    ],
)
def test_ports_out_of_range_are_config_errors(cls, data, needle):
    """A port past 65535 used to be accepted (the proxy then listened on another port, or
    failed deep in trio with a socket error)."""
    from cocoon.roles.client.config import ClientConfig
    from cocoon.roles.proxy.config import ProxyConfig
    from cocoon.roles.worker.config import WorkerConfig

    config = {"proxy": ProxyConfig, "worker": WorkerConfig, "client": ClientConfig}[cls]
    with pytest.raises(ConfigError, match=needle):
        config.from_dict(data)


@pytest.mark.parametrize("cls", ["proxy", "worker", "client"])
def test_an_unknown_tdx_mode_is_a_config_error(cls):
    """`tdx: "banana"` used to pass the config and fail at start-up with a traceback."""
    from cocoon.roles.client.config import ClientConfig
    from cocoon.roles.proxy.config import ProxyConfig
    from cocoon.roles.worker.config import WorkerConfig

    config, data = {
        "proxy": (ProxyConfig, PROXY),
        "worker": (WorkerConfig, WORKER),
        "client": (ClientConfig, {"owner_address": "UQA"}),
    }[cls]
    with pytest.raises(ConfigError, match=r"^\w+: 'tdx' must be in .* \(got 'banana'\)$"):
        config.from_dict(data | {"tdx": "banana"})
    assert config.from_dict(data | {"tdx": "fake"}).tdx == "fake"


def test_missing_keys_and_bad_choices_read_as_one_clear_line():
    """They used to read `ProxyConfig.__init__() missing 1 required keyword-only argument`
    and attrs' whole argument tuple (the Attribute's repr included)."""
    from cocoon.roles.proxy.config import ProxyConfig

    with pytest.raises(ConfigError, match=r"^p.json: missing required key 'owner_address'$"):
        from_mapping(ProxyConfig, {"root_contract_address": "EQA"}, source="p.json")
    with pytest.raises(ConfigError, match=r"^p.json: 'listen_mode' must be in .* \(got 'x'\)$"):
        from_mapping(ProxyConfig, PROXY | {"listen_mode": "x"}, source="p.json")


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"secret_string": 5}, r"^c.json: secret_string: expected a string, got int$"),
        ({"owner_address": ["UQA"]}, r"^c.json: owner_address: expected a string, got list$"),
        ({"ledger": None}, r"^c.json: ledger: expected a string, got NoneType$"),
    ],
)
def test_a_string_key_given_another_type_is_a_config_error(data, needle):
    """`secret_string: 5` used to be accepted as the number 5."""
    from cocoon.roles.client.config import ClientConfig

    with pytest.raises(ConfigError, match=needle):
        from_mapping(ClientConfig, {"owner_address": "UQA"} | data, source="c.json")


@pytest.mark.parametrize(
    ("cls", "key", "value", "needle"),
    [
        ("client", "max_body_bytes", -5, "max_body_bytes: expected an integer >= 0, got -5"),
        ("client", "request_timeout", "-1", "request_timeout: expected a number >= 0"),
        ("client", "payment_poll_interval", "nan", "payment_poll_interval: expected a number"),
        ("client", "max_tokens", -1, "max_tokens: expected an integer >= 0"),
        ("client", "proxy_connections", 0, "proxy_connections must be at least 1"),
        ("worker", "uplink_interval", -0.5, "uplink_interval: expected a number of seconds > 0"),
        ("worker", "payment_poll_interval", 0, "payment_poll_interval: expected a number of sec"),
        ("client", "payments_interval", 0, "payments_interval: expected a number of seconds > 0"),
        ("proxy", "chain_poll_interval", 0, "chain_poll_interval: expected a number of seconds"),
        ("worker", "min_self_payout", -1, "min_self_payout: expected an integer >= 0"),
        ("proxy", "db_write_interval", -1, "db_write_interval: expected a number of seconds"),
        ("proxy", "min_withdraw", -1, "min_withdraw: expected an integer >= 0"),
        ("proxy", "retries", -2, "retries: expected an integer >= 0"),
    ],
)
def test_negative_sizes_counts_and_intervals_are_config_errors(cls, key, value, needle):
    """`max_body_bytes: -5` and the like used to be accepted (and a polling interval of 0
    would make its loop spin)."""
    from cocoon.roles.client.config import ClientConfig
    from cocoon.roles.proxy.config import ProxyConfig
    from cocoon.roles.worker.config import WorkerConfig

    config, data = {
        "proxy": (ProxyConfig, PROXY),
        "worker": (WorkerConfig, WORKER),
        "client": (ClientConfig, {"owner_address": "UQA"}),
    }[cls]
    with pytest.raises(ConfigError, match=needle):
        config.from_dict(data | {key: value})
    assert getattr(config.from_dict(data | {key: 1}), key) == 1


def test_environment_variables_override_the_file(tmp_path, caplog):
    """A container sets `COCOON_<KEY>` instead of editing the file in its volume: the value is
    read as the file's would be (text for numbers, lists and booleans; JSON for objects)."""
    from cocoon.roles.client.config import ClientConfig

    path = tmp_path / "client.json"
    path.write_text(json.dumps({"owner_address": "UQA", "http_port": 1, "ledger": "l.sqlite"}))
    environ = {
        "COCOON_HTTP_HOST": "0.0.0.0",
        "COCOON_HTTP_PORT": "10000",
        "COCOON_PROXIES": "proxy:11102, proxy2:11102",
        "COCOON_IS_TEST": "true",
        "COCOON_API_KEYS": "sk-one,sk-two",
        "COCOON_KEYS": '{"wallet": {"file": "/data/wallet.key"}}',
        "COCOON_NOT_A_KEY": "ignored",
        "HTTP_PORT": "2",  # without the prefix: not ours
    }
    with caplog.at_level("INFO", logger="cocoon.config"):
        cfg = ClientConfig.load(path, environ=environ)
    assert (cfg.http_host, cfg.http_port, cfg.is_test) == ("0.0.0.0", 10000, True)
    assert cfg.proxies == ("proxy:11102", "proxy2:11102")
    assert cfg.api_keys == ("sk-one", "sk-two")
    assert str(cfg.keys["wallet"].file) == "/data/wallet.key"
    assert cfg.ledger == "l.sqlite"  # not overridden: the file's
    assert "COCOON_API_KEYS" in caplog.text and "sk-one" not in caplog.text  # names, no values
    assert ClientConfig.load(path).http_port == 1  # no environ given: the file alone


@pytest.mark.parametrize(
    ("environ", "needle"),
    [
        ({"COCOON_HTTP_PORT": "ten"}, r"COCOON_HTTP_PORT from the environment\): http_port"),
        ({"COCOON_KEYS": "{nope"}, r"^COCOON_KEYS: not valid JSON"),
    ],
)
def test_a_bad_environment_value_names_the_variable(tmp_path, environ, needle):
    from cocoon.roles.client.config import ClientConfig

    path = tmp_path / "client.json"
    path.write_text(json.dumps({"owner_address": "UQA"}))
    with pytest.raises(ConfigError, match=needle):
        ClientConfig.load(path, environ=environ)
