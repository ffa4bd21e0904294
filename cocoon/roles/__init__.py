"""The roles of a COCOON network, each a nursery tree of supervised trio tasks.

    from cocoon.roles import ProxyConfig, run_proxy
    handle = await nursery.start(partial(run_proxy, ProxyConfig.load("proxy.json"), ledger=ledger))

Each role has an attrs config (validated at construction, loadable from the reference's JSON
files with `Config.load(path)`) and `async def run_<role>(config, *, ..., task_status)`, which
calls `task_status.started(handle)` once the role serves. The names are loaded on first use,
so importing one role does not import the others' dependencies.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ClientConfig": "cocoon.roles.client.config",
    "run_client": "cocoon.roles.client.runner",
    "ProxyConfig": "cocoon.roles.proxy.config",
    "run_proxy": "cocoon.roles.proxy.runner",
    "WorkerConfig": "cocoon.roles.worker.config",
    "run_worker": "cocoon.roles.worker.runner",
    "RouterConfig": "cocoon.roles.router.config",
    "run_router": "cocoon.roles.router.router",
    "SealServerConfig": "cocoon.roles.seal",
    "serve_seal": "cocoon.roles.seal",
    "serve_ledger": "cocoon.roles.chain",
    "RemoteLedger": "cocoon.roles.chain",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cocoon.roles' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
