"""Import-time memory a long-lived `cocoon` process does without (issue 17: a role at rest
under 45 MB of RSS). `cocoon.cli` applies both before it imports a subcommand's module.

* `pytoniq_core`'s `__init__` star-imports all of the package: cells (what we use), but also
  its block, account and transaction schemes, Merkle proofs and PyNaCl with libsodium, about
  2.2 MB per process that the roles never touch at rest. `lazy_pytoniq_core` puts a package
  object in its place whose names load on first use: the cell names from `pytoniq_core.boc`
  alone, any other name (or a submodule name) by running the real `__init__`'s star imports,
  in its order, so every `pytoniq_core.X` is the object the real package would give.
* attrs keeps the generated source of every class's methods in `linecache`, for debuggers to
  step through (about 1.2 MB for our ~300 attrs classes). Without it a traceback through a
  generated `__init__` still names the file and line, only without the source text.
"""

from __future__ import annotations

import importlib
import importlib.util
import linecache
import sys
import types
from typing import Any

_PYTONIQ_PARTS = ("boc", "crypto", "proof", "tl", "tlb")  # the real __init__'s, in its order
_ATTRS_SOURCE_PREFIX = "<attrs generated"


def _public_names(module: types.ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    return list(names)


class _LazyPytoniqCore(types.ModuleType):
    """`pytoniq_core` with its `__init__` deferred (see the module docstring)."""

    _full = False

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if not self._full:
            boc = importlib.import_module("pytoniq_core.boc")
            value = getattr(boc, name, None)
            # Modules are left to the full load: a later part's star import may rebind the
            # name (`pytoniq_core.utils` is tlb's, not boc's).
            if name in _public_names(boc) and not isinstance(value, types.ModuleType):
                return value
            self._load_all()
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(f"module 'pytoniq_core' has no attribute {name!r}") from None

    def _load_all(self) -> None:
        """What the real `__init__` does: `from .part import *` for each part, in order."""
        self._full = True
        for part in _PYTONIQ_PARTS:
            module = importlib.import_module(f"pytoniq_core.{part}")
            for n in _public_names(module):
                setattr(self, n, getattr(module, n))


def lazy_pytoniq_core() -> bool:
    """Put the lazy `pytoniq_core` in `sys.modules`; False when it is already imported (or
    not installed), which leaves everything as it is."""
    if "pytoniq_core" in sys.modules:
        return False
    spec = importlib.util.find_spec("pytoniq_core")
    if spec is None or spec.submodule_search_locations is None:
        return False
    module = _LazyPytoniqCore("pytoniq_core")
    module.__file__ = spec.origin
    module.__path__ = list(spec.submodule_search_locations)
    module.__package__ = "pytoniq_core"
    module.__spec__ = spec
    sys.modules["pytoniq_core"] = module
    return True


class _NoAttrsSources(dict):
    """`linecache.cache` less attrs' generated sources (attrs stores them with
    `setdefault`; linecache itself uses item assignment)."""

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if _is_attrs_source(key):
            return default
        return super().setdefault(key, default)


def skip_attrs_sources() -> None:
    """From now on, attrs' generated method sources are not kept in `linecache`."""
    if not isinstance(linecache.cache, _NoAttrsSources):
        kept = {k: v for k, v in linecache.cache.items() if not _is_attrs_source(k)}
        linecache.cache = _NoAttrsSources(kept)


def _is_attrs_source(key: object) -> bool:
    return isinstance(key, str) and key.startswith(_ATTRS_SOURCE_PREFIX)
