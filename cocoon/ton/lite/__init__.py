"""TON through liteservers: blocks, Merkle proofs and their checks (`blocks`, `proofs`), ADNL
over TCP (`adnl`), lite_api TL (`tl`), a client per server (`client`), a pool of servers
(`pool`), the global config (`config`), an in-process liteserver front end for tests
(`server`), the fake liteserver's backend over the embedded chain (`fake`) and the
proof-checking `Ledger` (`ledger`)."""
