"""The chain service: one embedded ledger shared by roles running in separate processes.

`serve_ledger` exposes any `Ledger` over HTTP/JSON on 127.0.0.1; `RemoteLedger` is the
`Ledger` that talks to it. Local networks split into processes (the benchmark, a proxy and a
worker started by hand) use it so that they all see one chain.
"""

from __future__ import annotations

import importlib
from typing import Any

# Loaded on first use: a role that only talks to the service never imports the server.
_EXPORTS = {
    "RemoteLedger": "cocoon.roles.chain.remote",
    "open_ledger": "cocoon.roles.chain.remote",
    "serve_ledger": "cocoon.roles.chain.service",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cocoon.roles.chain' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
