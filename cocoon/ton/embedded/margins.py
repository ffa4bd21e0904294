"""What the values the roles attach to on-chain messages pay for, on the embedded chain with
mainnet fees (issue 14): per operation, the value attached, the fees the whole chain of
messages it causes consumed, and the margin between them.

`measure_margins()` runs the network's life cycle once on a fresh chain (deploys, top-ups,
registers, charges, payouts, withdrawals, the client's own close with its force refund, the
proxy's close, a state commit, a params change), every message sent as the roles send it
(`cocoon.ton.flows`, from a CocoonWallet; the worker owner's register and the governance's
params change from a human's account), and measures each one:

- `attached`: the gas money the role attaches (the constant of `cocoon.ton.constants`; for a
  top-up or a stake increase the part on top of the coins it moves).
- `fees`: everything the chain collected for the message and what it caused (gas, forwarding
  and storage of every transaction down to the excesses and payouts arriving), the sending
  wallet's own gas aside: it comes out of the wallet's balance, not the value (`wallet_fees`).
  The first hop's forwarding fee is in: a wallet sends mode 0, so it is taken out of the value
  (for a 1-nano message, mode 1, and from a human's account, it is paid on top).
- `returned`: what came back as excess to `send_excesses_to`.
- `margin`: attached / fees.

Every computed transaction in the chain must succeed; messages worth 1 nano (state commits and
the contracts' notifications to the proxy) are not computed, as on TON: they are logs.
It also reports each contract's own balance (its gas money) against its storage fee per year,
and what a CocoonWallet pays out of its own balance per external.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
from pytoniq_core import Address

from cocoon.ton import flows
from cocoon.ton.bodies import RootChangePrice, build
from cocoon.ton.cells import to_boc
from cocoon.ton.constants import (
    CLIENT_OP_VALUE,
    CLIENT_REGISTER_VALUE,
    COMMISSION_ESTIMATE,
    DEPLOY_VALUE_CLIENT,
    DEPLOY_VALUE_PROXY,
    MIN_WALLET_BALANCE,
    ONE_TON,
    PROXY_CLOSE_VALUE,
    PROXY_OP_VALUE,
    PROXY_WITHDRAW_VALUE,
    STATE_COMMIT_VALUE,
    WALLET_MAX_MESSAGES,
    WALLET_MIN_BALANCE,
    WALLET_TRANSFER_RESERVE,
    WORKER_PAYOUT_VALUE,
)
from cocoon.ton.contracts import ProxyContract, WalletContract
from cocoon.ton.embedded.chain import Chain, ManualClock, key
from cocoon.ton.embedded.fees import MAINNET_FEES, FeeConfig, tree_size
from cocoon.ton.embedded.local import deploy_root, read_root
from cocoon.ton.errors import LedgerError
from cocoon.ton.keys import public_key
from cocoon.ton.ledger import Transaction
from cocoon.ton.payments import PaymentSigner
from cocoon.ton.storage import WalletStorage
from cocoon.ton.wallet import Transfer, build_wallet_external

T = ONE_TON
# The runners wait for MIN_WALLET_BALANCE; the wallet contract refuses externals below
# WALLET_MIN_BALANCE: the gap is what a wallet's own fees may spend before it is stuck.
WALLET_HEADROOM = MIN_WALLET_BALANCE - WALLET_MIN_BALANCE


@attrs.frozen
class Margin:
    """One operation's attached value against the fees its message chain consumed."""

    operation: str
    constant: str  # the constant the role attaches
    attached: int
    fees: int
    returned: int
    computed: bool  # False: a 1-nano log, not computed on TON (its fee is the sender's)
    wallet_fees: int = 0  # the sending wallet's own gas, out of its balance

    @property
    def margin(self) -> float:
        return self.attached / self.fees if self.fees else float("inf")


@attrs.frozen
class Reserve:
    """A contract's own balance (its gas money) against the storage fee it owes per year."""

    contract: str
    balance: int
    storage_per_year: int

    @property
    def years(self) -> float:
        return self.balance / self.storage_per_year if self.storage_per_year else float("inf")


@attrs.frozen
class WalletFees:
    """What a CocoonWallet pays out of its own balance (not out of the values it sends)."""

    one_transfer: int  # an external with one transfer (mode 0: forwarding out of the value)
    four_logs: int  # an external with 4 transfers of 1 nano (mode 1: it pays their forwarding)
    storage_per_year: int

    @property
    def per_transfer(self) -> int:
        """The most one transfer costs the wallet itself."""
        return max(self.one_transfer, -(-self.four_logs // WALLET_MAX_MESSAGES))


@attrs.frozen
class FeeReport:
    margins: list[Margin]
    reserves: list[Reserve]
    wallet: WalletFees


YEAR = 365 * 86_400


def _reserve(chain: Chain, name: str, address: Address) -> Reserve:
    acc = chain.accounts[key(address)]
    bits, cells = tree_size([c for c in (acc.code, acc.data) if c is not None])
    return Reserve(name, acc.balance, chain.fees.storage.fee(bits, cells, YEAR))


def scaled(fees: FeeConfig, factor: int) -> FeeConfig:
    """`fees` with every gas and forwarding price `factor` times higher (what a price vote
    could do): the margins divided by about `factor`."""
    gas, forward = fees.gas, fees.forward
    return attrs.evolve(
        fees,
        gas=attrs.evolve(
            gas, gas_price=gas.gas_price * factor, flat_gas_price=gas.flat_gas_price * factor
        ),
        forward=attrs.evolve(
            forward,
            lump_price=forward.lump_price * factor,
            bit_price=forward.bit_price * factor,
            cell_price=forward.cell_price * factor,
        ),
    )


def _addr(n: int) -> Address:
    return Address((0, bytes([n]) * 32))


class _Wallet:
    """A CocoonWallet sending on a `Chain` directly (what `Wallet` does, without trio)."""

    def __init__(self, chain: Chain, seed: bytes, owner: Address, funds: int) -> None:
        self.chain = chain
        self.seed = seed
        self.contract = WalletContract(
            public_key=public_key(seed), owner=owner, code=chain.wallet_code
        )
        self.address = self.contract.address
        chain.mint(self.address, funds)

    def send(self, *transfers: Transfer) -> list[Transaction]:
        state = self.chain.state(self.address)
        seqno = WalletStorage.from_cell(state.data).seqno if state.active and state.data else 0
        external = build_wallet_external(
            self.contract,
            self.seed,
            seqno=seqno,
            valid_until=self.chain.now() + 600,
            transfers=transfers,
            with_state_init=not state.active,
        )
        return self.chain.submit_external(to_boc(external.to_cell()))


class _Run:
    def __init__(self, fees: FeeConfig) -> None:
        self.clock = ManualClock()
        self.chain = Chain(clock=self.clock, fees=fees)
        self.margins: list[Margin] = []
        self._next_user = 100

    def user(self) -> Address:
        self._next_user += 1
        return self.chain.create_user(_addr(self._next_user), 0)

    def measure(
        self,
        operation: str,
        constant: str,
        sender: _Wallet | Address,
        make: Callable[[Address], Transfer],
        attached: int,
    ) -> list[Transaction]:
        """Send `make(excess sink)` from `sender` (a wallet, or a user account: a human's own
        wallet, whose fees are not ours to measure), and record what it cost."""
        sink = self.user()
        transfer = make(sink)
        before = self.chain.fees_collected
        if isinstance(sender, _Wallet):
            trace = sender.send(transfer)
        else:
            trace = self.chain.send_from_user(
                sender,
                transfer.dest,
                transfer.value,
                transfer.body,
                bounce=transfer.state_init is None,
                state_init=transfer.state_init,
            )
        own, *caused = trace
        if not own.success or len(own.out_msgs) != 1:
            raise LedgerError(f"{operation}: the sender did not send it ({own.exit_code})")
        failed = [t for t in caused if not t.success and not t.bought_no_gas]
        if failed:
            codes = ", ".join(f"{t.account.to_str()}: {t.exit_code}" for t in failed)
            raise LedgerError(f"{operation} failed on chain ({codes})")
        forward = self.chain.fees.forward.fee(transfer.to_message().to_cell())
        by_value = forward if transfer.send_mode == 0 and isinstance(sender, _Wallet) else 0
        first = caused[0] if caused else None
        self.margins.append(
            Margin(
                operation=operation,
                constant=constant,
                attached=attached,
                fees=self.chain.fees_collected - before - own.fees + forward,
                returned=self.chain.balance(sink),
                computed=first is not None and not first.compute_skipped,
                wallet_fees=own.fees - by_value if isinstance(sender, _Wallet) else 0,
            )
        )
        return trace


def measure_margins(fees: FeeConfig = MAINNET_FEES) -> FeeReport:
    """The network's life cycle on a fresh chain with `fees`: one `Margin` per operation, and
    the contracts' own balances against their storage fees while they serve."""
    run = _Run(fees)
    chain = run.chain
    governance = chain.create_user(_addr(1), 10 * T)
    root = deploy_root(chain, owner=governance, proxies=["127.0.0.1:8801 127.0.0.1:8802"])
    params = read_root(chain, root).params
    proxy_owner, worker_owner = run.user(), run.user()
    chain.mint(worker_owner, 10 * T)
    pw = _Wallet(chain, bytes([10]) * 32, proxy_owner, 100 * T)
    cw = _Wallet(chain, bytes([11]) * 32, _addr(2), 100 * T)
    ww = _Wallet(chain, bytes([12]) * 32, worker_owner, 10 * T)
    signer = PaymentSigner(bytes([20]) * 32)
    proxy = ProxyContract(proxy_owner, signer.public_key, root, params)
    client = proxy.client(cw.address)
    worker = proxy.worker(worker_owner)
    m = run.measure

    m("proxy deploy", "DEPLOY_VALUE_PROXY", pw, lambda s: flows.deploy(proxy), DEPLOY_VALUE_PROXY)
    m(
        "proxy state commit",
        "STATE_COMMIT_VALUE",
        pw,
        lambda s: flows.proxy_state_commit(proxy.address, 1, bytes(32)),
        STATE_COMMIT_VALUE,
    )
    m(
        "proxy increase stake (not sent by the roles)",
        "2 * COMMISSION_ESTIMATE",
        pw,
        lambda s: flows.proxy_increase_stake(proxy.address, T, s),
        2 * COMMISSION_ESTIMATE,
    )
    m(
        "client deploy",
        "DEPLOY_VALUE_CLIENT",
        cw,
        lambda s: flows.deploy(client),
        DEPLOY_VALUE_CLIENT,
    )
    m(
        "client top-up",
        "CLIENT_OP_VALUE",
        cw,
        lambda s: flows.client_top_up(client.address, 20 * T, s),
        CLIENT_OP_VALUE,
    )
    m(
        "client register",
        "CLIENT_REGISTER_VALUE",
        cw,
        lambda s: flows.client_register(client.address, 7, s),
        CLIENT_REGISTER_VALUE,
    )
    m(
        "client change secret",
        "CLIENT_OP_VALUE",
        cw,
        lambda s: flows.client_change_secret(client.address, bytes([3]) * 32, s),
        CLIENT_OP_VALUE,
    )
    m(
        "client change secret and top up (not sent by the roles)",
        "CLIENT_OP_VALUE",
        cw,
        lambda s: flows.client_change_secret_and_top_up(client.address, T, bytes([4]) * 32, s),
        CLIENT_OP_VALUE,
    )
    m(
        "client increase stake (not sent by the roles)",
        "CLIENT_OP_VALUE",
        cw,
        lambda s: flows.client_increase_stake(client.address, 2 * T, s),
        CLIENT_OP_VALUE,
    )
    tokens = 10**9
    m(
        "client charge (proxy)",
        "PROXY_OP_VALUE",
        pw,
        lambda s: flows.client_charge(signer.client_charge(client.address, tokens, s)),
        PROXY_OP_VALUE,
    )
    # The worker's contract is deployed by its first payout (the worker's, or the proxy's).
    m(
        "worker payout deploying the worker contract (worker)",
        "WORKER_PAYOUT_VALUE",
        ww,
        lambda s: attrs.evolve(
            flows.worker_payout(signer.worker_payout(worker.address, tokens // 2, s)),
            state_init=worker.state_init(),
        ),
        WORKER_PAYOUT_VALUE,
    )
    m(
        "worker register (not sent by the roles)",
        "WORKER_PAYOUT_VALUE",
        worker_owner,
        lambda s: flows.worker_register(worker.address, s),
        WORKER_PAYOUT_VALUE,
    )
    m(
        "worker payout (proxy)",
        "PROXY_OP_VALUE",
        pw,
        lambda s: flows.worker_payout(
            signer.worker_payout(worker.address, tokens, s), by_worker=False
        ),
        PROXY_OP_VALUE,
    )
    # Everything deployed and serving: what each contract keeps for itself.
    client_state = chain.storage(client.address)
    proxy_state = chain.storage(proxy.address)
    owed = client_state.balance + proxy_state.balance + proxy_state.stake
    reserves = [
        _reserve(chain, "proxy contract (less what it owes)", proxy.address),
        _reserve(chain, "client contract", client.address),
        _reserve(chain, "worker contract", worker.address),
    ]
    before = chain.balance(pw.address)
    pw.send(*[flows.proxy_state_commit(proxy.address, 2 + i, bytes(32)) for i in range(4)])
    wallet = WalletFees(
        one_transfer=next(m.wallet_fees for m in run.margins if m.operation == "client top-up"),
        four_logs=before - chain.balance(pw.address) - 4 * STATE_COMMIT_VALUE,
        storage_per_year=_reserve(chain, "wallet", pw.address).storage_per_year,
    )
    reserves[0] = attrs.evolve(reserves[0], balance=reserves[0].balance - owed)
    m(
        "client withdraw",
        "CLIENT_OP_VALUE",
        cw,
        lambda s: flows.client_withdraw(client.address, s),
        CLIENT_OP_VALUE,
    )
    m(
        "proxy withdraw",
        "PROXY_WITHDRAW_VALUE",
        pw,
        lambda s: flows.proxy_withdraw(proxy.address, s),
        PROXY_WITHDRAW_VALUE,
    )

    # A second client closes by itself: request, wait, force refund (paid from the stake).
    cw2 = _Wallet(chain, bytes([13]) * 32, _addr(3), 100 * T)
    client2 = proxy.client(cw2.address)
    cw2.send(flows.deploy(client2), flows.client_top_up(client2.address, 2 * T, cw2.address))
    m(
        "client close request",
        "CLIENT_OP_VALUE",
        cw2,
        lambda s: flows.client_close(client2.address, s),
        CLIENT_OP_VALUE,
    )
    run.clock.advance(params.client_delay_before_close + 1)
    m(
        "client close (force refund)",
        "CLIENT_OP_VALUE",
        cw2,
        lambda s: flows.client_close(client2.address, s),
        CLIENT_OP_VALUE,
    )

    # The proxy closes: request, refund its clients, last payouts, then completion.
    m(
        "proxy close request",
        "PROXY_CLOSE_VALUE",
        pw,
        lambda s: flows.proxy_close(signer.proxy_close_request(proxy.address, s)),
        PROXY_CLOSE_VALUE,
    )
    m(
        "client grant refund (proxy)",
        "PROXY_OP_VALUE",
        pw,
        lambda s: flows.submit_payment(signer.client_grant_refund(client.address, tokens, s)),
        PROXY_OP_VALUE,
    )
    m(
        "worker last payout (proxy)",
        "PROXY_OP_VALUE",
        pw,
        lambda s: flows.submit_payment(signer.worker_last_payout(worker.address, tokens, s)),
        PROXY_OP_VALUE,
    )
    run.clock.advance(params.proxy_delay_before_close + 1)
    m(
        "proxy close complete",
        "PROXY_CLOSE_VALUE",
        pw,
        lambda s: flows.proxy_close(signer.proxy_close_complete(proxy.address, s)),
        PROXY_CLOSE_VALUE,
    )

    # Governance: a params change, as `Network.govern` sends it (`root_command`'s value).
    body = build(RootChangePrice(query_id=1, price_per_token=3, worker_fee_per_token=2))
    m(
        "root params change (governance)",
        "2 * COMMISSION_ESTIMATE",
        governance,
        lambda s: Transfer(dest=root, value=2 * COMMISSION_ESTIMATE, body=body),
        2 * COMMISSION_ESTIMATE,
    )
    if chain.total() != chain.minted:
        raise LedgerError("the chain's books do not balance")
    return FeeReport(run.margins, reserves, wallet)


def format_report(report: FeeReport) -> str:
    """The margins and reserves as text tables (nano-TON)."""
    rows = [("operation", "attached (constant)", "fees", "margin", "excess back", "wallet gas")]
    for m in report.margins:
        margin = f"{m.margin:.0f}x" if m.computed else "log (not computed)"
        rows.append(
            (
                m.operation,
                f"{m.attached:,} ({m.constant})",
                f"{m.fees:,}",
                margin,
                f"{m.returned:,}",
                f"{m.wallet_fees:,}",
            )
        )
    reserves = [("contract", "own balance", "storage / year", "years")]
    for r in report.reserves:
        reserves.append((r.contract, f"{r.balance:,}", f"{r.storage_per_year:,}", f"{r.years:.0f}"))
    w = report.wallet
    wallet = [
        ("CocoonWallet, out of its own balance", "nano", "against"),
        ("an external with 1 transfer", f"{w.one_transfer:,}", ""),
        ("an external with 4 transfers of 1 nano", f"{w.four_logs:,}", ""),
        (
            "most per transfer",
            f"{w.per_transfer:,}",
            f"WALLET_TRANSFER_RESERVE {WALLET_TRANSFER_RESERVE:,}: "
            f"{WALLET_TRANSFER_RESERVE / w.per_transfer:.0f}x",
        ),
        (
            "an external at most",
            f"{w.four_logs:,}",
            f"MIN_WALLET_BALANCE - WALLET_MIN_BALANCE {WALLET_HEADROOM:,}: "
            f"{WALLET_HEADROOM // w.four_logs} externals",
        ),
        ("storage per year", f"{w.storage_per_year:,}", ""),
    ]
    return f"{_table(rows)}\n\n{_table(reserves)}\n\n{_table(wallet)}"


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    )
