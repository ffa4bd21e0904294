"""Layering: pure TON modules never import trio; `cocoon.ton` never reaches up."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

TON = Path(__file__).resolve().parents[2] / "cocoon" / "ton"
PURE = [
    "cocoon.ton",
    "cocoon.ton.cells",
    "cocoon.ton.params",
    "cocoon.ton.root",
    "cocoon.ton.bodies",
    "cocoon.ton.payments",
    "cocoon.ton.pricing",
    "cocoon.ton.counters",
    "cocoon.ton.wallet",
    "cocoon.ton.flows",
    "cocoon.ton.embedded.chain",
    "cocoon.ton.lite.adnl",
    "cocoon.ton.lite.tl",
    "cocoon.ton.lite.config",
    "cocoon.ton.lite.types",
    "cocoon.ton.lite.api",
    "cocoon.ton.lite.validators",
    "cocoon.ton.lite.blockproof",
]


# The liteserver layer's I/O modules; its codecs (`cocoon.ton.lite.adnl`, `.tl`, `.config`,
# `.types`, `.api`) are pure and listed above.
LITE_IO_MODULES = (
    "lite/connection.py",
    "lite/client.py",
    "lite/pool.py",
    "lite/server.py",
    "lite/fake.py",  # the fake liteserver's backend (its producer ticks, queries wait)
    "lite/ledger.py",  # LiteLedger: waits and locks over the servers
    "lite/localnet.py",  # fake liteservers for a local network
    "lite/trust.py",  # trust stage 2: asks servers for block proofs, writes the cache
)


def test_pure_modules_do_not_load_trio() -> None:
    code = "import sys\n" + "".join(f"import {m}\n" for m in PURE) + "print('trio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_imports_stay_in_their_layer() -> None:
    allowed = ("cocoon.ton", "cocoon.errors", "cocoon.tl")
    for path in TON.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith("cocoon"):
                    assert name.startswith(allowed), f"{path.name} imports {name}"
                if name == "trio" or name.startswith("trio."):
                    assert (
                        path.name in ("ledger.py", "wallet_client.py")
                        or path.relative_to(TON).as_posix() in LITE_IO_MODULES
                    ), f"{path} imports trio"
                assert name != "asyncio" and name != "threading", f"{path} imports {name}"
