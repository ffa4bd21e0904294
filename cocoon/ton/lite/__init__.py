"""TON through liteservers.

Pure (sans-IO): `adnl` (the ADNL-over-TCP handshake and packet codec), `tl` (lite_api TL),
`types` (typed answers), `api` (typed calls over any `query`), `config` (the TON global
config), `blocks` and `proofs` (TON's block structures, Merkle proofs of liteserver answers
and their checks), `validators` (validator sets and block signatures, ordinary and simplex),
`blockproof` (masterchain block proof chains, `getBlockProof`). In trio: `connection` (an
ADNL session over a stream), `client` (one liteserver), `pool` (several, with health checks
and failover), `server` (an in-process liteserver front end for tests), `fake` (the fake
liteserver's backend over the embedded chain), `ledger` (`LiteLedger`, the proof-checking
`Ledger`), `trust` (trust stage 2: heads proven by validator signatures from the config's init
block, the last key block cached), `localnet` (fake liteservers for a local network). Errors:
`errors`.
"""
