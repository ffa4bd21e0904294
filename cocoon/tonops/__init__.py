"""Operators' tools for a TON network (`cocoon ton wallet|root ...`): make and show CocoonWallets,
send from them, deploy and govern a root of the project's contracts.

Every command that spends prints what it will send and asks first (`confirm`); keys are read
from files or named environment variables and never printed (`seeds`). The package sits above
the roles (it opens ledgers with `cocoon.roles.chain.ledgers`), so `cocoon.ton` stays below.
"""
