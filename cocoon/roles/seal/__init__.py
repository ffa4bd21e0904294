"""The seal protocol: persistent keys for TDX guests from an SGX enclave on their host
(spec 20 section 7), byte-compatible with the reference's seal-client / seal-server, plus an
INSECURE software mode for machines without SGX/TDX (`cocoon.roles.seal.insecure`).

For roles: `KeySource` (a key file or the seal client) and `await load_key(source)`.
Sans-IO parts: `framing`, `messages`, `crypto`, `enclave`, `request`; I/O: `transport`,
`server` (`serve_seal`), `client` (`get_persistent_key`), `keys`.
"""

from cocoon.roles.seal.client import exchange_key, get_persistent_key
from cocoon.roles.seal.config import (
    DEFAULT_PORT,
    SealAddress,
    SealClientConfig,
    SealServerConfig,
)
from cocoon.roles.seal.enclave import SoftwareEnclave
from cocoon.roles.seal.errors import SealFrameError, SealMessageError, SealRefused, SealUnavailable
from cocoon.roles.seal.guest import FakeTdxGuest
from cocoon.roles.seal.keys import KEY_SIZE, KeySource, load_key
from cocoon.roles.seal.request import EnclavePolicy, SealMode
from cocoon.roles.seal.server import SealServerHandle, serve_seal, serve_seal_connection

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
