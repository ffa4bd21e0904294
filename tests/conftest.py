"""Shared fixtures. Reference data lives in ../shared beside the checkout (see its README).

`COCOON_TEST_LEDGER=lite` runs every whole network of the run (`open_network`) on the
proof-checking LiteLedgers behind fake liteservers instead of the embedded ledger
(`nox -s tests_lite`). A test that names its `ledger=` keeps it, and fake-TON networks
(`fake_ton=`) stay fake-TON: they have no shared chain for liteservers to serve."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
TEST_LEDGER = os.environ.get("COCOON_TEST_LEDGER", "")
LEDGERS = ("embedded", "lite")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = SHARED / "data"
    if not path.is_dir():
        pytest.skip("../shared/data (reference captures) is not beside this checkout")
    return path


def pytest_configure(config: pytest.Config) -> None:
    """With COCOON_TEST_LEDGER set, a NetworkConfig that names no ledger (and is not fake-TON)
    takes that one, for the whole run. Done here, not in the library's default, so nothing
    outside a test run reads the variable (and cocoon.network is imported only then)."""
    if not TEST_LEDGER:
        return
    if TEST_LEDGER not in LEDGERS:
        raise pytest.UsageError(f"COCOON_TEST_LEDGER={TEST_LEDGER!r}: expected one of {LEDGERS}")
    from cocoon.network import NetworkConfig

    init = NetworkConfig.__init__

    def init_with_test_ledger(self: NetworkConfig, **kwargs: object) -> None:
        if "ledger" not in kwargs and kwargs.get("fake_ton") is None:
            kwargs["ledger"] = TEST_LEDGER
        init(self, **kwargs)

    NetworkConfig.__init__ = init_with_test_ledger  # type: ignore[method-assign]
