"""The proxy's shortcuts in the reference's fake-TON mode (spec 30 section 13, spec 10 section
6.2; `cocoon.ton.faketon` has the mode itself).

No client contract can be seen there, so the proxy does what the reference's does: a client it
does not know is registered on the spot with pseudo funds (balance 10^6 TON, a stake of 1 TON,
so at most 1 TON / price tokens in all) and the secret hash sha256(""), and it is offered short
authorization with that hash and nonce 0; long authorization succeeds at once. Nothing is ever
charged or paid out; the database is written and payments are signed as usual. (So any peer
that connects gets an account, before it proves anything: a test mode, as in the reference.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytoniq_core import Address

from cocoon.roles.proxy.accounts import ClientAccount

if TYPE_CHECKING:
    from cocoon.roles.proxy.node import ProxyNode

PSEUDO_NONCE = 0  # the nonce the reference offers with its short auth in this mode


def pseudo_client(node: ProxyNode, owner: Address) -> ClientAccount:
    """The client's account, registered with pseudo funds if the proxy did not know it."""
    # Imported here: the pseudo chain (with the embedded emulator) only in fake-TON mode.
    from cocoon.ton.faketon import PSEUDO_CLIENT_BALANCE, PSEUDO_CLIENT_STAKE, PSEUDO_SECRET_HASH

    acc = node.client(owner)
    if not acc.known_on_chain:
        acc.on_chain_state(
            0, PSEUDO_CLIENT_BALANCE, PSEUDO_CLIENT_STAKE, acc.tokens.sc_tokens, PSEUDO_SECRET_HASH
        )
        node.mark_dirty(acc)
    return acc
