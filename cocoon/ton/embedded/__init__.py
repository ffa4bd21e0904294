"""The embedded ledger: an in-process TON chain running Python ports of the COCOON contracts."""
