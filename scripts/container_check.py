#!/usr/bin/env python3
"""Build the container image and check it end to end (`nox -s container`).

    nox -s container                          # build, then check the image
    nox -s container -- --compose             # also bring compose.yaml up and ask it
    python scripts/container_check.py --no-build --image localhost/cocoon:dev

The check runs the image as a whole local network in one container (`cocoon -v network
--listen 0.0.0.0`: chain, proxy, worker, fake inference server and client in one process), publishing
the client's API. A client alone cannot answer (it needs a proxy, and its /health stays 503
until it has one): the one-container network makes every step real. It

1. waits for the client's `/health` from the host (200: a proxy connected, a model known),
   then runs the image's own HEALTHCHECK;
2. sends a chat completion, plain and streamed, with the official `openai` SDK, and checks
   the answer and its cost (the payment path);
3. stops the container with SIGTERM (`stop -t 10`) and checks that it exited by itself with
   status 0 within STOP_LIMIT seconds, having logged the signal and no traceback;
4. with `--compose`: brings compose.yaml up (separate containers, the host's port 10000),
   sends a chat completion through it, and takes it down (volumes included).

The engine is docker when it works (a daemon answers), else podman (`--engine`). The base image is `--base`, else
COCOON_BASE, else python:3.11-slim, except where only podman works: there no
registry is assumed (../shared/container/README.md: podman set up, the base built) and the default is the local
localhost/bookworm-python:3.11. A CA bundle for pip inside the build (`--cacert`, else
PIP_CERT or SSL_CERT_FILE when set) is passed as the build secret `cacert`.
Prints each check as it passes; exits 1 at the first that fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = "Qwen/Qwen3-8B"
LOCAL_BASE = "localhost/bookworm-python:3.11"
STOP_LIMIT = 5.0  # seconds from SIGTERM to the container's exit
READY_TIMEOUT = 120.0


class CheckFailed(Exception):
    pass


def say(text: str) -> None:
    print(f"container check: {text}", flush=True)


def run(*argv: str, check: bool = True, capture: bool = False) -> subprocess.CompletedProcess:
    if not capture:
        print("+ " + " ".join(argv), flush=True)
    return subprocess.run(argv, check=check, text=True, capture_output=capture)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def engine_works(name: str) -> bool:
    """Installed and answering (a docker CLI without a daemon does not count)."""
    if not shutil.which(name):
        return False
    try:
        return subprocess.run([name, "info"], capture_output=True, timeout=30).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def default_engine() -> str:
    for name in ("docker", "podman"):
        if engine_works(name):
            return name
    raise CheckFailed("neither docker nor podman is installed and working")


def default_base(engine: str) -> str:
    if os.environ.get("COCOON_BASE"):
        return os.environ["COCOON_BASE"]
    if engine == "podman" and not engine_works("docker"):
        return LOCAL_BASE
    return "python:3.11-slim"


def default_cacert() -> str | None:
    for name in ("PIP_CERT", "SSL_CERT_FILE"):
        path = os.environ.get(name)
        if path and Path(path).is_file():
            return path
    return None


def build(engine: str, base: str, image: str, cacert: str | None) -> None:
    argv = [engine, "build", "--build-arg", f"BASE={base}", "-t", image]
    if engine == "podman":
        argv += ["--format", "docker"]  # OCI images drop HEALTHCHECK
    if cacert:
        argv += ["--secret", f"id=cacert,src={cacert}"]
    started = time.monotonic()
    run(*argv, str(ROOT))
    size = run(engine, "image", "inspect", "--format", "{{.Size}}", image, capture=True)
    say(f"built {image} from {base} in {time.monotonic() - started:.0f} s, "
        f"{int(size.stdout.strip()) / 1e6:.0f} MB")  # fmt: skip


def wait_healthy(url: str, timeout: float = READY_TIMEOUT) -> dict:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as e:
            last = f"HTTP {e.code}: {e.read().decode(errors='replace')[:200]}"
        except OSError as e:
            last = str(e)
        time.sleep(1)
    raise CheckFailed(f"{url} not healthy after {timeout:.0f} s: {last}")


def ask(base_url: str) -> None:
    """A chat completion, plain and streamed, through the official SDK."""
    from openai import OpenAI

    client = OpenAI(base_url=base_url, api_key="any", max_retries=0, timeout=60)
    messages = [{"role": "user", "content": "Hello from the container check"}]
    answer = client.chat.completions.create(model=MODEL, messages=messages, max_tokens=16)
    text = answer.choices[0].message.content or ""
    usage = answer.usage
    cost = (usage.model_extra or {}).get("total_cost") if usage else None
    if not text or usage is None or usage.completion_tokens <= 0 or not cost:
        raise CheckFailed(f"unexpected answer: {answer}")
    say(f"chat completion: {text[:40]!r}..., {usage.total_tokens} tokens, cost {cost} nano-TON")
    stream = client.chat.completions.create(
        model=MODEL, messages=messages, max_tokens=16, stream=True
    )
    streamed = "".join(e.choices[0].delta.content or "" for e in stream if e.choices)
    if not streamed:
        raise CheckFailed("the streamed answer is empty")
    say(f"streamed completion: {streamed[:40]!r}...")


def healthcheck(engine: str, name: str) -> None:
    """The image's HEALTHCHECK, as the engine runs it."""
    if engine == "podman":
        # Podman schedules health checks with systemd timers; without systemd, run it now.
        if run("podman", "healthcheck", "run", name, check=False, capture=True).returncode:
            raise CheckFailed("the image's HEALTHCHECK failed")
    else:
        deadline = time.monotonic() + 60
        status = ""
        while time.monotonic() < deadline:
            status = run(engine, "inspect", "--format", "{{.State.Health.Status}}", name,
                         capture=True).stdout.strip()  # fmt: skip
            if status == "healthy":
                break
            time.sleep(2)
        else:
            raise CheckFailed(f"the image's HEALTHCHECK says {status!r}")
    say("the image's HEALTHCHECK passes")


def stop(engine: str, name: str) -> None:
    started = time.monotonic()
    run(engine, "stop", "-t", "10", name, capture=True)
    elapsed = time.monotonic() - started
    state = json.loads(run(engine, "inspect", "--format", "{{json .State}}", name,
                           capture=True).stdout)  # fmt: skip
    logs = run(engine, "logs", name, capture=True)
    output = logs.stdout + logs.stderr
    if state.get("ExitCode") != 0:
        raise CheckFailed(f"exit status {state.get('ExitCode')} after SIGTERM:\n{output[-2000:]}")
    if elapsed > STOP_LIMIT:
        raise CheckFailed(f"SIGTERM took {elapsed:.1f} s to stop it (limit {STOP_LIMIT} s)")
    if "SIGTERM: stopping" not in output or "Traceback" in output:
        raise CheckFailed(f"no clean SIGTERM in the logs:\n{output[-2000:]}")
    say(f"SIGTERM stopped it in {elapsed:.1f} s (engine's stop included), exit status 0, "
        "no traceback")  # fmt: skip


def check_image(engine: str, image: str) -> None:
    name = f"cocoon-check-{os.getpid()}"
    port = free_port()
    # -v: the roles' life cycle (INFO), the SIGTERM line included.
    run(engine, "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:10000", image,
        "-v", "network", "--listen", "0.0.0.0")  # fmt: skip
    try:
        user = run(engine, "exec", name, "id", "-u", capture=True).stdout.strip()
        if user == "0":
            raise CheckFailed("the container runs as root")
        say(f"running as uid {user}, the client's API on 127.0.0.1:{port}")
        started = time.monotonic()
        health = wait_healthy(f"http://127.0.0.1:{port}/health")
        say(f"/health ready after {time.monotonic() - started:.1f} s: {health}")
        healthcheck(engine, name)
        ask(f"http://127.0.0.1:{port}/v1")
        stop(engine, name)
    except BaseException:
        logs = run(engine, "logs", name, check=False, capture=True)
        print((logs.stdout + logs.stderr)[-3000:], file=sys.stderr)
        raise
    finally:
        run(engine, "rm", "-f", "-v", name, check=False, capture=True)  # -v: its /data volume


def compose_command(engine: str) -> list[str]:
    if engine == "docker":
        return ["docker", "compose"]
    if shutil.which("podman-compose"):
        return ["podman-compose"]
    raise CheckFailed("--compose with podman needs podman-compose (pip install podman-compose)")


def check_compose(engine: str, image: str, base: str) -> None:
    compose = [*compose_command(engine), "-f", str(ROOT / "compose.yaml")]
    env_note = f"COCOON_IMAGE={image} COCOON_BASE={base}"
    os.environ.update(COCOON_IMAGE=image, COCOON_BASE=base)
    run(*compose, "up", "-d")
    try:
        started = time.monotonic()
        health = wait_healthy("http://127.0.0.1:10000/health")
        say(f"compose ({env_note}): the client's /health ready after "
            f"{time.monotonic() - started:.1f} s: {health}")  # fmt: skip
        ask("http://127.0.0.1:10000/v1")
    finally:
        run(*compose, "down", "-v", check=False, capture=True)
    say("compose: up, answered, down")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("docker", "podman"), help="default: docker if found")
    parser.add_argument("--base", help="the base image (the Dockerfile's BASE)")
    parser.add_argument("--image", default="localhost/cocoon:dev", help="%(default)s")
    parser.add_argument("--cacert", help="CA bundle for pip inside the build")
    parser.add_argument("--no-build", action="store_true", help="check an image built before")
    parser.add_argument("--compose", action="store_true", help="also check compose.yaml")
    args = parser.parse_args()
    try:
        engine = args.engine or default_engine()
        base = args.base or default_base(engine)
        if not args.no_build:
            build(engine, base, args.image, args.cacert or default_cacert())
        check_image(engine, args.image)
        if args.compose:
            check_compose(engine, args.image, base)
    except (CheckFailed, subprocess.CalledProcessError) as e:
        say(f"FAILED: {e}")
        return 1
    say("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
