"""The worker cashing its own signed payouts (spec 30 section 9.4).

The proxy normally pays its workers. A worker with a wallet also checks, every
`self_payout_interval`, what each proxy has signed for it against what its worker contract
has settled; when the difference is worth at least `min_self_payout` nano-TON it submits the
signed payout itself (re-wrapped so the excess comes back to its own wallet), deploying its
worker contract with the same message if needed. This is the worker's claim if a proxy stops
paying or disappears.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import attrs
import trio

from cocoon.errors import PaymentError
from cocoon.roles.worker.earnings import ProxyEarnings
from cocoon.ton import flows
from cocoon.ton.contracts import WorkerContract
from cocoon.ton.errors import LedgerError
from cocoon.ton.ledger import Ledger, read_contract
from cocoon.ton.wallet_client import Wallet

if TYPE_CHECKING:
    from cocoon.roles.worker.runner import WorkerNode

log = logging.getLogger("cocoon.worker.payouts")


async def settled_tokens(ledger: Ledger, earnings: ProxyEarnings) -> int | None:
    """Tokens the worker contract has been paid for; None while it is not deployed."""
    try:
        storage = await read_contract(ledger, earnings.worker_sc, "worker")
    except LedgerError:
        return None
    return storage.tokens


async def cash_out(
    node: WorkerNode, ledger: Ledger, wallet: Wallet, earnings: ProxyEarnings
) -> bool:
    """Submit the signed payout of one proxy if it is worth it; True if sent."""
    signed = earnings.signed
    if signed is None:
        return False
    paid = await settled_tokens(ledger, earnings)
    earnings.paid_out = paid or 0
    root = node.root.config
    if root is None:
        return False
    unpaid = (signed.tokens or 0) - (paid or 0)
    if unpaid <= 0 or unpaid * root.worker_fee_per_token < node.config.min_self_payout:
        return False
    transfer = flows.worker_payout(signed, wallet.address)
    if paid is None:  # the first payout deploys the worker contract too
        contract = WorkerContract(
            owner=node.owner,
            proxy=earnings.proxy_address,
            proxy_public_key=earnings.proxy_public_key,
            params=earnings.params or root.params,  # the params it was made under
        )
        if contract.address != earnings.worker_sc:  # made under params we do not know
            return False
        transfer = attrs.evolve(transfer, state_init=contract.state_init())
    try:
        await wallet.send(transfer)
    except (LedgerError, PaymentError) as e:
        log.warning("self-payout from proxy %s failed: %s", earnings.proxy_sc, e)
        return False
    earnings.paid_out = await settled_tokens(ledger, earnings) or 0
    log.info("cashed out %d tokens from proxy %s", unpaid, earnings.proxy_sc)
    return True


async def self_payout_loop(node: WorkerNode, ledger: Ledger, wallet: Wallet) -> None:
    # A first pass at start: a restarted worker shows what its contracts were paid (and
    # cashes out what is due) at once, not an interval later.
    while True:
        for earnings in list(node.earnings.by_proxy.values()):
            await cash_out(node, ledger, wallet, earnings)
        await trio.sleep(node.config.self_payout_interval)
