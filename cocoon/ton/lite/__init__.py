"""TON through liteservers: blocks, Merkle proofs and their checks (`blocks`, `proofs`)."""
