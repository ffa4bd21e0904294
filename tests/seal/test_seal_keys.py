"""Key sources for the roles: local key files and the seal client."""

from __future__ import annotations

import os
import stat

import pytest
import trio

from cocoon.errors import ConfigError
from cocoon.roles.seal import (
    FakeTdxGuest,
    KeySource,
    SealAddress,
    SealClientConfig,
    SealMode,
    get_persistent_key,
    load_key,
)
from cocoon.roles.seal.insecure import INSECURE_FAKE_MR_ENCLAVE
from cocoon.roles.seal.keys import read_key_file, write_key_file


async def test_key_file_is_created_once_with_mode_0600(tmp_path, caplog):
    path = tmp_path / "state" / "wallet.key"
    path.parent.mkdir()
    key = await load_key(KeySource(file=path))
    assert [r.levelname for r in caplog.records] == ["WARNING"] and str(path) in caplog.text
    assert len(key) == 32 and path.read_bytes() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert await load_key(KeySource(file=path)) == key
    assert os.listdir(path.parent) == ["wallet.key"]  # no temporary files left
    assert len(caplog.records) == 1  # only a new key is announced


async def test_a_key_file_in_a_missing_folder_is_a_config_error(tmp_path):
    """A typo in the folder used to create it and a new, empty wallet in it."""
    path = tmp_path / "sate" / "wallet.key"
    with pytest.raises(ConfigError, match=f"^key file {path}: folder {path.parent} does not"):
        await load_key(KeySource(file=path))
    assert not path.parent.exists()


async def test_racing_first_uses_agree_on_one_key(tmp_path):
    path = tmp_path / "k"
    keys: list[bytes] = []

    async def load() -> None:
        keys.append(await load_key(KeySource(file=path)))

    async with trio.open_nursery() as nursery:
        for _ in range(8):
            nursery.start_soon(load)
    assert len(set(keys)) == 1 and path.read_bytes() == keys[0]


def test_unsafe_or_malformed_key_files_are_refused(tmp_path):
    loose = tmp_path / "loose"
    loose.write_bytes(bytes(32))
    loose.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        read_key_file(loose)
    short = tmp_path / "short"
    short.write_bytes(bytes(31))
    short.chmod(0o600)
    with pytest.raises(ConfigError, match="exactly 32 bytes"):
        read_key_file(short)
    link = tmp_path / "link"
    link.symlink_to(short)
    with pytest.raises(ConfigError, match="cannot open key file"):
        read_key_file(link)


def test_write_key_file_never_clobbers_unless_asked(tmp_path):
    path = tmp_path / "k"
    write_key_file(path, b"\1" * 32, replace=False)
    with pytest.raises(FileExistsError):
        write_key_file(path, b"\2" * 32, replace=False)
    assert path.read_bytes() == b"\1" * 32
    write_key_file(path, b"\3" * 32, replace=True)
    assert read_key_file(path) == b"\3" * 32
    assert sorted(os.listdir(tmp_path)) == ["k"]


async def test_load_key_from_the_seal_server(seal_server, client_config):
    config = client_config(seal_server.address, "wallet")
    key = await load_key(KeySource(seal=config))
    assert key == await get_persistent_key(config) and len(key) == 32


def test_key_source_is_exactly_one_thing(tmp_path):
    seal = SealClientConfig(key_name="app", mode="fake")
    with pytest.raises(ConfigError, match="either"):
        KeySource()
    with pytest.raises(ConfigError, match="either"):
        KeySource(file=tmp_path / "k", seal=seal)
    assert KeySource.from_dict({"file": str(tmp_path / "k")}) == KeySource(file=tmp_path / "k")
    for bad in ({}, {"file": 3}, {"seal": "x"}, {"file": "a", "seal": {}}):
        with pytest.raises(ConfigError):
            KeySource.from_dict(bad)


def test_seal_source_from_a_config_mapping():
    source = KeySource.from_dict(
        {
            "seal": {
                "key_name": "disk_encryption",
                "address": "tcp:127.0.0.1:12345",
                "mode": "fake",
                "fake_guest": {"mr_td": "11" * 48, "rtmr3_events": ["cocoon:tdx_inited"]},
                "timeout": 3,
            }
        }
    )
    seal = source.seal
    assert seal is not None and seal.key_name == b"disk_encryption"
    assert seal.address == SealAddress.tcp("127.0.0.1", 12345) and seal.mode is SealMode.FAKE
    assert seal.fake_guest == FakeTdxGuest(mr_td=b"\x11" * 48).extend_rtmr3(b"cocoon:tdx_inited")
    assert seal.policy.allowed_mr_enclave == {INSECURE_FAKE_MR_ENCLAVE}


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"key_name": ""}, "key name"),
        ({"key_name": "k" * 257}, "key name"),
        ({"key_name": "k", "mode": "real"}, "needs allowed MRENCLAVE"),
        ({"key_name": "k", "mode": "magic"}, "real or fake"),
        ({"key_name": "k", "mode": "fake", "mr_enclave": ["abcd"]}, "32 bytes"),
        ({"key_name": "k", "mode": "fake", "address": "udp:1:2"}, "vsock or tcp"),
        ({"key_name": "k", "mode": "fake", "address": "vsock:host:2"}, "CID"),
        ({"key_name": "k", "mode": "fake", "address": "tcp:h:70000"}, "port"),
        ({"key_name": "k", "mode": "fake", "timeout": 0}, "positive"),
        ({"key_name": "k", "mode": "fake", "fake_guest": {"mr_td": "00"}}, "48 bytes"),
        ({"key_name": "k", "mode": "fake", "colour": "red"}, "unknown"),
        ({"key_name": "k", "mode": "fake", "skip_validation": "yes"}, "bad seal client"),
    ],
)
def test_bad_seal_client_settings(fields, match):
    with pytest.raises(ConfigError, match=match):
        SealClientConfig.from_dict(fields)


def test_real_mode_config_with_an_allow_list():
    config = SealClientConfig(key_name="app", mr_enclave=["ab" * 32])
    assert config.mode is SealMode.REAL and config.policy.allowed_mr_enclave == {b"\xab" * 32}
    assert SealAddress.parse(str(config.address)) == config.address
    assert str(SealAddress.parse("tcp:[::1]:5")) == "tcp:[::1]:5"
