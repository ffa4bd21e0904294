"""cocoon: the Confidential Compute Open Network in Python.

Layers, bottom up (each imports only the ones below it):
`cocoon.tl` (TL codec) -> `cocoon.net` (frames and sessions over any trio stream) ->
`cocoon.ratls` (attested TLS) and `cocoon.ton` (contracts, payments, ledger) ->
`cocoon.roles` (client, proxy, worker, router, seal) -> `cocoon.network` (all in one process).
"""

__version__ = "0.1.0"
