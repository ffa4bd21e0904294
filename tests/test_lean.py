"""cocoon.lean: the lazy `pytoniq_core` gives the real package's objects, loading only the cell
modules for the cell names; attrs' generated sources stay out of linecache."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import attrs


def run_fresh(code: str) -> str:
    """Run `code` in a fresh interpreter (this one has imported pytoniq_core already)."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_cell_names_load_only_the_cell_modules() -> None:
    out = run_fresh(
        """
        import sys
        from cocoon.lean import lazy_pytoniq_core
        assert lazy_pytoniq_core()
        from pytoniq_core import Address, Cell, begin_cell
        from pytoniq_core.boc.exotic import CellTypes
        cell = begin_cell().store_uint(5, 8).end_cell()
        assert Cell.one_from_boc(cell.to_boc()).hash == cell.hash
        print(sorted(m for m in ("nacl", "pytoniq_core.tlb", "pytoniq_core.proof") if m in sys.modules))
        """
    )
    assert out == "[]"


def test_every_name_is_the_real_packages() -> None:
    out = run_fresh(
        """
        import importlib, subprocess, sys
        from cocoon.lean import lazy_pytoniq_core
        lazy_pytoniq_core()
        import pytoniq_core as lazy
        lazy_values = {}
        names = subprocess.run(
            [sys.executable, "-c", "import pytoniq_core; print(' '.join(dir(pytoniq_core)))"],
            capture_output=True, text=True, check=True,
        ).stdout.split()
        public = [n for n in names if not n.startswith("_")]
        # Cell names first (the boc shortcut), then the rest (the full load).
        for n in sorted(public, key=lambda n: n not in ("Cell", "Address", "Builder")):
            value = getattr(lazy, n)
            lazy_values[n] = (type(value).__name__, getattr(value, "__module__", None), getattr(value, "__name__", None))
        # Against the real package, imported as such in a fresh process.
        real = subprocess.run(
            [sys.executable, "-c", "import pytoniq_core as p\\n"
             "for n in sorted(dir(p)):\\n"
             "    v = getattr(p, n)\\n"
             "    if not n.startswith('_'): print(n, type(v).__name__, getattr(v, '__module__', None), getattr(v, '__name__', None))"],
            capture_output=True, text=True, check=True,
        ).stdout.splitlines()
        mine = [f"{n} {' '.join(str(x) for x in lazy_values[n])}" for n in sorted(lazy_values)]
        print(len(public), mine == real)
        """
    )
    count, same = out.split()
    assert int(count) > 50
    assert same == "True"


def test_attrs_sources_are_not_kept() -> None:
    import linecache

    from cocoon.lean import _NoAttrsSources, skip_attrs_sources

    saved = linecache.cache
    try:
        skip_attrs_sources()
        assert isinstance(linecache.cache, _NoAttrsSources)

        @attrs.frozen
        class Point:
            x: int
            y: int

        assert Point(1, 2) == Point(1, 2)
        assert not [k for k in linecache.cache if str(k).startswith("<attrs generated")]
        # linecache's own use is untouched.
        assert linecache.getline(__file__, 1).startswith('"""cocoon.lean')
    finally:
        linecache.cache = saved


def test_roles_at_start_leave_out_what_they_do_not_use() -> None:
    """What `cocoon worker|client|proxy` import before they run: no pyOpenSSL on the dialing
    roles (the accepting side loads it on first accept), no seal client without a seal key
    source, none of pytoniq_core's block schemes or PyNaCl, no attrs sources in linecache."""
    out = run_fresh(
        """
        import linecache, sys
        from cocoon.lean import lazy_pytoniq_core, skip_attrs_sources
        lazy_pytoniq_core()
        skip_attrs_sources()
        import cocoon.roles.worker.runner, cocoon.roles.client.runner, cocoon.roles.proxy.runner
        unwanted = ("OpenSSL", "cocoon.ratls.tls", "cocoon.roles.seal.client", "nacl",
                    "pytoniq_core.tlb", "pytoniq_core.proof")
        print(sorted(m for m in unwanted if m in sys.modules),
              sum(str(k).startswith("<attrs generated") for k in linecache.cache))
        """
    )
    assert out == "[] 0"
