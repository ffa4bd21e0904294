"""The seal protocol: persistent keys for TDX guests from an SGX enclave on their host
(spec 20 section 7), byte-compatible with the reference's seal-client / seal-server, plus an
INSECURE software mode for machines without SGX/TDX (`cocoon.roles.seal.insecure`).

For roles: `KeySource` (a key file or the seal client) and `await load_key(source)`.
Sans-IO parts: `framing`, `messages`, `crypto`, `enclave`, `request`; I/O: `transport`,
`server` (`serve_seal`), `client` (`get_persistent_key`), `keys`.
"""

from __future__ import annotations

import importlib
from typing import Any

# Loaded on first use: a role reading its key file does not import the seal server.
_EXPORTS = {
    "exchange_key": "cocoon.roles.seal.client",
    "get_persistent_key": "cocoon.roles.seal.client",
    "DEFAULT_PORT": "cocoon.roles.seal.config",
    "SealAddress": "cocoon.roles.seal.config",
    "SealClientConfig": "cocoon.roles.seal.config",
    "SealServerConfig": "cocoon.roles.seal.config",
    "SoftwareEnclave": "cocoon.roles.seal.enclave",
    "SealFrameError": "cocoon.roles.seal.errors",
    "SealMessageError": "cocoon.roles.seal.errors",
    "SealRefused": "cocoon.roles.seal.errors",
    "SealUnavailable": "cocoon.roles.seal.errors",
    "FakeTdxGuest": "cocoon.roles.seal.guest",
    "KEY_SIZE": "cocoon.roles.seal.keys",
    "KeySource": "cocoon.roles.seal.keys",
    "load_key": "cocoon.roles.seal.keys",
    "EnclavePolicy": "cocoon.roles.seal.request",
    "SealMode": "cocoon.roles.seal.request",
    "SealServerHandle": "cocoon.roles.seal.server",
    "serve_seal": "cocoon.roles.seal.server",
    "serve_seal_connection": "cocoon.roles.seal.server",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cocoon.roles.seal' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "DEFAULT_PORT",
    "KEY_SIZE",
    "EnclavePolicy",
    "FakeTdxGuest",
    "KeySource",
    "SealAddress",
    "SealClientConfig",
    "SealFrameError",
    "SealMessageError",
    "SealMode",
    "SealRefused",
    "SealServerConfig",
    "SealServerHandle",
    "SealUnavailable",
    "SoftwareEnclave",
    "exchange_key",
    "get_persistent_key",
    "load_key",
    "serve_seal",
    "serve_seal_connection",
]
