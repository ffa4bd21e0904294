"""The FunC contracts in contracts/: the committed BOCs equal a fresh compile, and the sandbox
tests (@ton/sandbox, a real TVM) pass. Needs node and npm; skipped, saying why, without them.

Takes about 10 s on a quiet machine (npm ci only when node_modules is missing or stale, then
about 3 s to compile and 5 s for the node tests)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

CONTRACTS = Path(__file__).resolve().parent.parent.parent / "contracts"
STAMP = CONTRACTS / "node_modules" / ".cocoon-lock-sha256"  # the lock file npm ci installed

pytestmark = pytest.mark.slow


def _run(args: list[str], timeout: int) -> None:
    done = subprocess.run(
        args, cwd=CONTRACTS, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        pytest.fail(
            f"`{' '.join(args)}` in contracts/ exited {done.returncode}\n"
            f"{done.stdout[-6000:]}\n{done.stderr[-6000:]}",
            pytrace=False,
        )


@pytest.fixture(scope="module")
def node_modules() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip(
            "node and npm are not installed: the FunC build check and sandbox tests need them"
        )
    lock = hashlib.sha256((CONTRACTS / "package-lock.json").read_bytes()).hexdigest()
    if not STAMP.is_file() or STAMP.read_text().strip() != lock:
        _run(["npm", "ci", "--no-audit", "--no-fund"], timeout=600)
        STAMP.write_text(lock + "\n")


def test_committed_bocs_equal_a_fresh_compile(node_modules: None) -> None:
    _run(["node", "scripts/build.mjs", "--check"], timeout=300)


def test_sandbox(node_modules: None) -> None:
    _run(["node", "--test", "tests/"], timeout=600)
