"""TON layer: addresses, coins, contract layouts (pytoniq-core cells), signed payments,
pricing, and the `Ledger` interface with its embedded, in-process implementation."""
