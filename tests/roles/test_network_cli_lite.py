"""`cocoon network --once --ledger lite` (issue 15): the network answers and pays with every
role reading the chain through fake liteservers, each answer proven."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e


def test_network_once_on_liteservers_answers_and_pays():
    proc = subprocess.run(
        [sys.executable, "-m", "cocoon", "network", "--once", "--ledger", "lite"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert "answer:" in out and "cost:" in out
    # The client's wallet paid its channel, as its LiteLedger proves.
    assert "proven through liteservers" in out and "holds 0 " not in out
    for role in ("client0", "proxy0", "worker0"):
        assert role in out
    assert "sendMessage" in out and "getAccountState" in out
