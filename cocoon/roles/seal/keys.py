"""Where a role's persistent 32-byte key comes from: a local key file or the seal server.

    source = KeySource.from_dict({"file": "/var/lib/cocoon/wallet.key"})
    source = KeySource.from_dict({"seal": {"key_name": "app", "mode": "fake",
                                           "address": "tcp:127.0.0.1:12345"}})
    key = await load_key(source)      # at start-up, before anything uses the key

A key file holds the raw 32 bytes (the format `cocoon seal-client -o` writes). On first use it
is created with a fresh random key (with a WARNING naming it): written to a temporary file with
mode 0600, synced, then linked into place, so a crash never leaves a partial key and two
processes racing on first use end up with the same key. Its folder must exist: a typo in the
path is an error, not a new, empty wallet. A key file readable by group or others is refused.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import trio

from cocoon.errors import ConfigError
from cocoon.roles.seal.crypto import SECRET_SIZE

if TYPE_CHECKING:
    # The seal client (its config, enclave and attestation modules, about 0.4 MB) is
    # imported only by a role whose key source names the seal server.
    from cocoon.roles.seal.config import SealClientConfig

log = logging.getLogger("cocoon.keys")

KEY_SIZE = SECRET_SIZE  # 32 bytes, whichever the source


@attrs.frozen
class KeySource:
    """Exactly one of `file` (a local key file) or `seal` (ask the seal server)."""

    file: Path | None = attrs.field(default=None, converter=attrs.converters.optional(Path))
    seal: SealClientConfig | None = None

    def __attrs_post_init__(self) -> None:
        if (self.file is None) == (self.seal is None):
            raise ConfigError("a key source is either a key file or the seal client, not both")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KeySource:
        """`{"file": PATH}` or `{"seal": {...SealClientConfig fields...}}`."""
        if set(data) == {"file"} and isinstance(data["file"], str | Path):
            return cls(file=Path(data["file"]))
        if set(data) == {"seal"} and isinstance(data["seal"], Mapping):
            from cocoon.roles.seal.config import SealClientConfig

            return cls(seal=SealClientConfig.from_dict(data["seal"]))
        raise ConfigError(f"key source must be {{'file': PATH}} or {{'seal': {{...}}}}: {data!r}")


async def load_key(source: KeySource) -> bytes:
    """The 32-byte key of `source`: read (or created on first use) from the key file, or
    derived by the seal server. Raises `ConfigError` for an unusable key file and the seal
    client's errors (`SealRefused`, `SealUnavailable`, ...) otherwise; never retries."""
    if source.seal is not None:
        from cocoon.roles.seal.client import get_persistent_key

        return await get_persistent_key(source.seal)
    assert source.file is not None
    return await trio.to_thread.run_sync(load_or_create_key_file, source.file)


def load_or_create_key_file(path: Path) -> bytes:
    """Blocking: the key in `path`, creating it with a fresh random key if it is missing."""
    try:
        return read_key_file(path)
    except FileNotFoundError:
        pass
    try:
        write_key_file(path, secrets.token_bytes(KEY_SIZE), replace=False)
    except FileExistsError:
        pass  # another process created it first: use theirs
    else:
        # A new identity (a new, empty wallet): an operator should see it happen.
        log.warning("key file %s did not exist: created it with a new random key", path)
    return read_key_file(path)


def read_key_file(path: Path) -> bytes:
    """The 32 raw bytes of a key file that only its owner can read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise
    except OSError as e:
        raise ConfigError(f"cannot open key file {path}: {e}") from e
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(f"key file {path} is not a regular file")
        if st.st_mode & 0o077:
            raise ConfigError(
                f"key file {path} is accessible by group or others "
                f"(mode {stat.S_IMODE(st.st_mode):04o}); chmod 600 it"
            )
        data = f.read(KEY_SIZE + 1)
    if len(data) != KEY_SIZE:
        raise ConfigError(f"key file {path} must hold exactly {KEY_SIZE} bytes")
    return data


def write_key_file(path: Path, key: bytes, *, replace: bool) -> None:
    """Write `key` atomically with mode 0600. With `replace=False` an existing file is kept
    and `FileExistsError` raised; with `replace=True` it is swapped for the new one."""
    if len(key) != KEY_SIZE:
        raise ValueError(f"a key is {KEY_SIZE} bytes")
    path = Path(path)
    parent = path.parent
    if not parent.is_dir():
        # Not created: a mistyped path must not silently become a fresh key somewhere else.
        raise ConfigError(f"key file {path}: folder {parent} does not exist")
    tmp = parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(key)
            f.flush()
            os.fsync(f.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if the name exists: never clobbers a key
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
