"""The TON global config: the sample fixture, the signed-int IP form, and clear errors."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from cocoon.ton.lite.adnl import key_id, public_key_of
from cocoon.ton.lite.config import (
    ip_from_int,
    ip_to_int,
    load_global_config,
    parse_global_config,
)
from cocoon.ton.lite.errors import LiteConfigError

SAMPLE = Path(__file__).parent / "data" / "global-config.json"


def sample() -> dict[str, Any]:
    return json.loads(SAMPLE.read_text())


def test_sample_config() -> None:
    config = load_global_config(SAMPLE)
    first, second = config.liteservers
    assert (first.host, first.port) == ("127.0.0.1", 4924)
    assert (second.host, second.port) == ("127.0.0.2", 4925)
    assert first.public_key == public_key_of(hashlib.sha256(b"sample liteserver 1").digest())
    assert first.key_id == key_id(first.public_key)
    v = config.validator
    assert (v.zero_state.workchain, v.zero_state.shard, v.zero_state.seqno) == (-1, -(2**63), 0)
    assert v.init_block is not None and v.init_block.seqno == 1000
    assert v.init_block.root_hash == hashlib.sha256(b"made-up root init").digest()
    assert [b.seqno for b in v.hardforks] == [500]


def test_round_trip_through_json() -> None:
    config = load_global_config(SAMPLE)
    assert parse_global_config(json.loads(json.dumps(config.to_json()))) == config


@pytest.mark.parametrize(
    ("value", "host"),
    [
        (2130706433, "127.0.0.1"),
        (-1062731775, "192.168.0.1"),  # signed: high octets >= 128 are negative
        (84478511, "5.9.10.47"),
        (-1, "255.255.255.255"),
    ],
)
def test_ip_as_signed_int(value: int, host: str) -> None:
    assert ip_from_int(value) == host
    assert ip_to_int(host) == value


def test_unsigned_ip_spelling_accepted() -> None:
    data = sample()
    data["liteservers"][0]["ip"] = 3232235521
    assert parse_global_config(data).liteservers[0].host == "192.168.0.1"


def _broken(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(sample())
    *parents, last = path.split(".")
    node: Any = data
    for p in parents:
        node = node[int(p)] if p.isdigit() else node[p]
    if value is _DELETE:
        del node[int(last) if last.isdigit() else last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("liteservers", [], "liteservers: a non-empty list"),
        ("liteservers.0.ip", "127.0.0.1", r"liteservers\[0\]\.ip: an integer"),
        ("liteservers.1.port", 70000, r"liteservers\[1\]\.port: 70000 out of range"),
        ("liteservers.0.id.@type", "pub.aes", "only pub.ed25519"),
        ("liteservers.0.id.key", "not base64!", "not valid base64"),
        ("liteservers.0.id.key", base64.b64encode(b"short").decode(), "5 bytes, 32 expected"),
        ("liteservers.1.ip", 2130706433, "listed twice"),
        ("validator", _DELETE, "validator: missing"),
        ("validator.zero_state", _DELETE, "zero_state: missing"),
        ("validator.init_block.seqno", -5, r"init_block\.seqno: -5 out of range"),
        ("validator.hardforks.0.root_hash", 12, r"hardforks\[0\]\.root_hash: a base64 string"),
        ("validator.hardforks", {}, "hardforks: a list"),
    ],
)
def test_bad_input_names_the_field(path: str, value: Any, message: str) -> None:
    data = _broken(path, value)
    if path == "liteservers.1.ip":
        data["liteservers"][1]["port"] = data["liteservers"][0]["port"]
    with pytest.raises(LiteConfigError, match=message):
        parse_global_config(data)


def test_not_json_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "global.config.json"
    bad.write_text("{ not json")
    with pytest.raises(LiteConfigError, match="not JSON"):
        load_global_config(bad)
    with pytest.raises(LiteConfigError, match="cannot read"):
        load_global_config(tmp_path / "absent.json")


def test_init_block_optional() -> None:
    data = _broken("validator.init_block", _DELETE)
    assert parse_global_config(data).validator.init_block is None
