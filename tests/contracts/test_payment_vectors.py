"""The committed client, worker, wallet and lifecycle vectors (contracts/tests/vectors/*.json)
are what our Python builders and contract ports produce today for contracts derived from our
compiled BOCs: a change to a body layout, a storage layout, a port or a contract's code that is not
carried into the vectors (and so into the FunC tests) fails here, without node."""

from __future__ import annotations

import importlib.util
import json
import types
from pathlib import Path

import pytest

SCRIPT = (
    Path(__file__).resolve().parent.parent.parent
    / "contracts"
    / "scripts"
    / "make_payment_vectors.py"
)


@pytest.fixture(scope="module")
def make_payment_vectors() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("make_payment_vectors", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["client", "worker", "wallet", "lifecycle"])
def test_payment_vectors_are_current(make_payment_vectors: types.ModuleType, name: str) -> None:
    fresh = json.loads(json.dumps(getattr(make_payment_vectors, f"{name}_vectors")()))
    committed = json.loads((make_payment_vectors.HERE / f"{name}.json").read_text())
    assert fresh == committed, (
        f"contracts/tests/vectors/{name}.json is stale: rerun contracts/scripts/make_payment_vectors.py"
    )
