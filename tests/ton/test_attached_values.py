"""The values the roles attach to on-chain messages pay for what TON charges (issue 14).

The network's life cycle runs on the embedded chain with mainnet's prices and the gas our
compiled contracts measure (`cocoon.ton.embedded.margins`; `scripts/fee_margins.py` prints the
table). Every value must cover the fees of the whole chain of messages it causes MIN_MARGIN
times over. Why 3: the gas figures are the most each handler used in the sandbox and the
forwarding fees are exact, so the uncertainty is in the prices, which validators vote on; TON
cut its basechain gas and forwarding prices 2.5x in 2024, and a factor of 3 keeps every value
sufficient were they to go back. Measured today the smallest margin is about 17x (the proxy's
deploy: mostly forwarding its StateInit), every other one above 30x.
"""

from __future__ import annotations

import pytest

from cocoon.ton.constants import (
    CLIENT_OP_VALUE,
    CLIENT_REGISTER_VALUE,
    DEPLOY_VALUE_CLIENT,
    DEPLOY_VALUE_PROXY,
    MIN_WALLET_BALANCE,
    PROXY_CLOSE_VALUE,
    PROXY_OP_VALUE,
    PROXY_WITHDRAW_VALUE,
    STATE_COMMIT_VALUE,
    WALLET_MIN_BALANCE,
    WALLET_TRANSFER_RESERVE,
    WORKER_PAYOUT_VALUE,
)
from cocoon.ton.embedded.fees import MAINNET_FEES, ZERO_FEES
from cocoon.ton.embedded.margins import FeeReport, format_report, measure_margins, scaled

MIN_MARGIN = 3
# A contract left alone this long still pays its storage out of its own balance.
MIN_RESERVE_YEARS = 3


@pytest.fixture(scope="module")
def report() -> FeeReport:
    return measure_margins(MAINNET_FEES)


def test_every_value_the_roles_attach_is_measured(report):
    measured = {m.constant for m in report.margins}
    constants = {
        "DEPLOY_VALUE_PROXY": DEPLOY_VALUE_PROXY,
        "DEPLOY_VALUE_CLIENT": DEPLOY_VALUE_CLIENT,
        "CLIENT_REGISTER_VALUE": CLIENT_REGISTER_VALUE,
        "CLIENT_OP_VALUE": CLIENT_OP_VALUE,
        "PROXY_OP_VALUE": PROXY_OP_VALUE,
        "WORKER_PAYOUT_VALUE": WORKER_PAYOUT_VALUE,
        "PROXY_WITHDRAW_VALUE": PROXY_WITHDRAW_VALUE,
        "PROXY_CLOSE_VALUE": PROXY_CLOSE_VALUE,
        "STATE_COMMIT_VALUE": STATE_COMMIT_VALUE,
    }
    assert set(constants) <= measured
    for m in report.margins:
        if m.constant in constants:
            assert m.attached == constants[m.constant], m.operation


def test_each_attached_value_covers_its_fees_three_times_over(report):
    computed = [m for m in report.margins if m.computed]
    assert len(computed) >= 20
    for m in computed:
        assert m.fees > 0, m.operation  # real fees were charged
        assert m.attached >= MIN_MARGIN * m.fees, format_report(report)


def test_one_nano_messages_are_logs_not_computed_as_on_ton(report):
    (commit,) = [m for m in report.margins if m.constant == "STATE_COMMIT_VALUE"]
    assert not commit.computed and commit.attached == 1
    # The wallet pays its forwarding on top (mode 1), out of its transfer reserve.
    assert commit.wallet_fees >= commit.fees > 0
    assert WALLET_TRANSFER_RESERVE >= MIN_MARGIN * commit.wallet_fees


def test_contracts_keep_enough_of_their_own_for_storage(report):
    assert {r.contract.split()[0] for r in report.reserves} == {"proxy", "client", "worker"}
    for r in report.reserves:
        assert r.storage_per_year > 0
        assert r.balance >= MIN_RESERVE_YEARS * r.storage_per_year, r.contract


def test_a_wallet_pays_its_own_fees_out_of_its_reserves(report):
    wallet = report.wallet
    assert 0 < wallet.one_transfer <= wallet.per_transfer
    # Each transfer sets WALLET_TRANSFER_RESERVE aside on top of its value...
    assert WALLET_TRANSFER_RESERVE >= MIN_MARGIN * wallet.per_transfer
    # ...and a wallet the runner lets send (MIN_WALLET_BALANCE) stays above the contract's
    # floor (WALLET_MIN_BALANCE, exit 1035) for several of its costliest externals.
    assert MIN_WALLET_BALANCE - WALLET_MIN_BALANCE >= MIN_MARGIN * wallet.four_logs
    assert wallet.storage_per_year < WALLET_TRANSFER_RESERVE


def test_the_check_fails_when_prices_outgrow_a_value():
    """With every price ten times today's, the proxy's deploy (17x today) no longer has its
    margin: the assertion above would catch a value that is too small."""
    report = measure_margins(scaled(MAINNET_FEES, 10))
    short = [m.operation for m in report.margins if m.computed and m.margin < MIN_MARGIN]
    assert "proxy deploy" in short


def test_zero_fees_charge_nothing():
    report = measure_margins(ZERO_FEES)
    assert all(m.fees == 0 for m in report.margins)
    assert report.wallet.one_transfer == 0
