"""TON through liteservers.

Pure (sans-IO): `adnl` (the ADNL-over-TCP handshake and packet codec), `tl` (lite_api TL),
`types` (typed answers), `api` (typed calls over any `query`), `config` (the TON global
config). In trio: `connection` (an ADNL session over a stream), `client` (one liteserver),
`pool` (several, with health checks and failover), `server` (an in-process liteserver front
end for tests). Errors: `errors`.
"""
