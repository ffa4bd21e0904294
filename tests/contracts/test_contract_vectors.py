"""The committed sandbox vectors (contracts/tests/vectors/*.json) are what our Python builders and
contract ports produce today: a change to a body layout, a storage layout or a port that is not
carried into the vectors (and so into the FunC tests) fails here, without node."""

from __future__ import annotations

import importlib.util
import json
import types
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent.parent / "contracts" / "scripts" / "make_vectors.py"


@pytest.fixture(scope="module")
def make_vectors() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("make_vectors", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["root", "proxy"])
def test_vectors_are_current(make_vectors: types.ModuleType, name: str) -> None:
    fresh = getattr(make_vectors, f"{name}_vectors")()
    committed = json.loads((make_vectors.OUT / f"{name}.json").read_text())
    assert fresh == committed, (
        f"contracts/tests/vectors/{name}.json is stale: rerun contracts/scripts/make_vectors.py"
    )
