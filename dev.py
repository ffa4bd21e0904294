#!/usr/bin/env python3
"""Bootstrap and run cocoon from a fresh clone, with nothing but Python >= 3.11 and git.

    python3 dev.py run     # the main job: a whole local network answering one chat completion
    python3 dev.py test    # the test suite
    python3 dev.py bench   # the benchmark (scripts/bench.py; table and bench/results.json)

Both create `.venv/` with the project installed (editable, with its test extras) when it is
missing or when `pyproject.toml` changed since it was made, then run inside it. Extra
arguments are passed on (`python3 dev.py test -k tl`, `python3 dev.py cocoon --help`).
Only the standard library is used here, on purpose.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".cocoon-installed"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def _wanted_stamp() -> str:
    # Reinstall whenever the declared dependencies change.
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on whatever python3 is at hand
        sys.exit(f"cocoon needs Python >= 3.11, this is {sys.version.split()[0]}")
    wanted = _wanted_stamp()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not PYTHON.exists():
        print(f"dev.py: creating {VENV}", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    print("dev.py: installing cocoon and its test dependencies into .venv", file=sys.stderr)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True, cwd=ROOT)
    STAMP.write_text(wanted + "\n")


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    ensure_venv()
    if command == "run":
        # The main job: a whole local network (embedded chain, proxy, worker, client) answers
        # one chat completion through the client's OpenAI-compatible API.
        args = [str(PYTHON), "-m", "cocoon", "network", "--once", *rest]
    elif command == "test":
        args = [str(PYTHON), "-m", "pytest", *rest]
    elif command == "bench":
        args = [str(PYTHON), str(ROOT / "scripts" / "bench.py"), *rest]
    elif command == "lint":
        args = [str(PYTHON), "-m", "ruff", "check", ".", *rest]
    elif command == "cocoon":
        args = [str(PYTHON), "-m", "cocoon", *rest]
    else:
        print(f"dev.py: unknown command {command!r}\n{__doc__}", file=sys.stderr)
        return 2
    return subprocess.call(args, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
