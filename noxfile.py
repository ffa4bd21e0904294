"""nox sessions: `nox -s tests lint` (the default), `network`, `e2e`, `tests_lite`, `browser`,
`bench`, `soak`, `container`."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """The whole test suite."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff: lint and import order."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python="3.11")
def network(session: nox.Session) -> None:
    """A whole local network in one process, serving until Ctrl-C (`-- --once` for one request)."""
    session.install("-e", ".")
    session.run("cocoon", "network", *session.posargs)


@nox.session(python="3.11")
def e2e(session: nox.Session) -> None:
    """The end-to-end tests: whole networks in one process, driven over HTTP and TL."""
    session.install("-e", ".[test]")
    session.run("pytest", "-m", "e2e", *session.posargs)


@nox.session(python="3.11")
def tests_lite(session: nox.Session) -> None:
    """The end-to-end tests with every network on the roles' own proof-checking LiteLedgers
    behind fake liteservers instead of the embedded ledger (COCOON_TEST_LEDGER=lite, read by
    tests/conftest.py; a test naming its ledger, and the fake-TON ones, keep theirs)."""
    session.install("-e", ".[test]")
    session.run("pytest", "-m", "e2e", *session.posargs, env={"COCOON_TEST_LEDGER": "lite"})


@nox.session(python="3.11")
def browser(session: nox.Session) -> None:
    """Each role's dashboard in headless chromium (Debian's `chromium`, or $CHROMIUM; driven by
    Playwright, which downloads no browser here): renders without console errors, updates
    live, screenshots in build/screenshots/; then the guard checks of
    scripts/browser_check.py. Fails, rather than skips, without chromium."""
    session.install("-e", ".[test,browser]")
    session.run(
        "pytest", "-p", "no:cacheprovider", "tests/browser", *session.posargs,
        env={"COCOON_BROWSER_REQUIRED": "1"},
    )  # fmt: skip
    session.run("python", "scripts/browser_check.py")


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """The network's overhead over the inference server, as separate processes, in our layout
    and in the reference's (router) layout (see scripts/bench.py): prints a table per layout
    and writes bench/results.json. `nox -s bench -- --quick` for a short smoke run."""
    session.install("-e", ".")
    session.run("python", "scripts/bench.py", *session.posargs)


@nox.session(python="3.11")
def soak(session: nox.Session) -> None:
    """A chaos run of a whole network in one process (scripts/soak.py): random load, failing
    backends, restarted workers and proxies; checks the books and counters, exits 1 on a
    violated invariant (`-- --duration 60` for a shorter run)."""
    session.install("-e", ".")
    session.run("python", "scripts/soak.py", *session.posargs)


@nox.session(python="3.11")
def container(session: nox.Session) -> None:
    """Build the image (Dockerfile) with docker or podman and check it: a network in one
    container, /health, a chat completion through the official `openai` SDK, SIGTERM and its
    exit status (scripts/container_check.py; `-- --compose` also brings compose.yaml up).
    The base image: COCOON_BASE, else python:3.11-slim (with podman alone: the local one of
    ../shared/container/README.md)."""
    session.install("openai")  # the check's own client; not a dependency of the package
    if "--compose" in session.posargs:
        session.install("podman-compose")  # used where podman stands in for docker
    session.run("python", "scripts/container_check.py", *session.posargs)
