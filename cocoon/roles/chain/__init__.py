"""The chain service: one embedded ledger shared by roles running in separate processes.

`serve_ledger` exposes any `Ledger` over HTTP/JSON on 127.0.0.1; `RemoteLedger` is the
`Ledger` that talks to it. Local networks split into processes (the benchmark, a proxy and a
worker started by hand) use it so that they all see one chain.
"""

from cocoon.roles.chain.remote import RemoteLedger, open_ledger
from cocoon.roles.chain.service import serve_ledger

__all__ = ["RemoteLedger", "open_ledger", "serve_ledger"]
