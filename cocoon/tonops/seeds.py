"""The operator's wallet seed: from a key file or a named environment variable, never from the
command line (which `ps` and shell histories show), and never printed.

A key file holds the raw 32 bytes with mode 0600, the format the roles read (`"keys":
{"wallet": {"file": PATH}}`), so a wallet made here can be a role's node wallet. Error messages
name the file or variable, never its content.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import os
import secrets
from pathlib import Path

from cocoon.errors import ConfigError
from cocoon.roles.seal.keys import KEY_SIZE, read_key_file, write_key_file


def add_key_arguments(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument(
        "--key", type=Path, metavar="FILE", help="the wallet's key file (32 raw bytes, mode 0600)"
    )
    group.add_argument(
        "--key-env",
        metavar="NAME",
        help="the name of an environment variable holding the wallet's seed (hex or base64)",
    )


def load_seed(args: argparse.Namespace) -> bytes:
    """The seed named by `--key` or `--key-env`."""
    if getattr(args, "key_env", None):
        return seed_from_env(args.key_env)
    return seed_from_file(args.key)


def seed_from_file(path: Path) -> bytes:
    try:
        return read_key_file(path)
    except FileNotFoundError:
        raise ConfigError(f"no key file {path}") from None


def seed_from_env(name: str) -> bytes:
    text = os.environ.get(name)
    if text is None:
        raise ConfigError(f"environment variable {name} is not set")
    seed = _decode(text.strip())
    if seed is None:
        # Not the value, nor its length: a near-miss would give most of the key away.
        raise ConfigError(
            f"environment variable {name} does not hold a {KEY_SIZE}-byte seed in hex or base64"
        )
    return seed


def _decode(text: str) -> bytes | None:
    if len(text) == 2 * KEY_SIZE:
        try:
            return bytes.fromhex(text)
        except ValueError:
            return None
    try:  # standard or URL-safe alphabet, padding optional
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == KEY_SIZE else None


def new_seed_file(path: Path) -> bytes:
    """A fresh random seed written to `path` (0600); an existing file is never replaced."""
    seed = secrets.token_bytes(KEY_SIZE)
    try:
        write_key_file(path, seed, replace=False)
    except FileExistsError:
        raise ConfigError(f"key file {path} exists: not replaced (a key is a wallet)") from None
    return seed
