"""`cocoon network --plan DIR --ledger lite`, brought up as separate processes: the chain
service serves the chain over lite_api too (`chain serve --lite-port`), every role opens a
proof-checking `LiteLedger` from the TON global config the plan names, and the client answers
a completion that is paid for."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from cocoon.network import free_port
from cocoon.roles.client.config import ClientConfig
from cocoon.roles.proxy.config import ProxyConfig
from cocoon.roles.worker.config import WorkerConfig
from cocoon.ton.lite.config import load_global_config

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STARTUP = 40.0  # seconds for the whole network to answer, at most


def _planned_commands(out: str) -> list[str]:
    return [line.strip() for line in out.splitlines() if line.startswith("  ") and " -m " in line]


def _completion(port: int) -> dict:
    body = {"model": "Qwen/Qwen3-8B", "messages": [{"role": "user", "content": "hi"}]}
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/chat/completions",
        data=json.dumps(body | {"max_tokens": 8}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


@pytest.mark.parametrize("trust", ["agreement", "key_blocks"])
def test_a_plan_on_lite_runs_as_separate_processes(tmp_path: Path, capsys, trust: str) -> None:
    """Stage 1 as planned (the two liteservers agreeing); stage 2 with the roles' ledger
    overridden (`COCOON_LEDGER`) to prove heads from the init block the chain service wrote."""
    from cocoon.cli import main

    plan = tmp_path / "plan"
    chain_port, client_port = free_port(), free_port()
    argv = ["network", "--plan", str(plan), "--ledger", "lite", "--token-delay", "0"]
    argv += ["--chain-port", str(chain_port), "--port", str(client_port)]
    assert main(argv) == 0
    commands = _planned_commands(capsys.readouterr().out)
    assert f"--lite-port {chain_port + 1}" in commands[0]
    spec = f"ton:{(plan / 'global.config.json').resolve()}?wallet_code=local"
    for load, name in (
        (ProxyConfig.load, "proxy0"),
        (WorkerConfig.load, "worker0"),
        (ClientConfig.load, "client0"),
    ):
        assert load(plan / f"{name}.json").ledger == spec
    planned = load_global_config(plan / "global.config.json")
    assert [s.port for s in planned.liteservers] == [chain_port + 1, chain_port + 2]

    env = dict(os.environ)
    if trust == "key_blocks":
        env["COCOON_LEDGER"] = f"{spec}&trust=key_blocks"
    procs: list[subprocess.Popen] = []
    logs = []
    try:
        for i, command in enumerate(commands):
            log = (tmp_path / f"p{i}.log").open("w")
            logs.append(log)
            procs.append(
                subprocess.Popen(
                    shlex.split(command), stdout=log, stderr=subprocess.STDOUT, env=env
                )
            )
            if i == 0:  # the chain service rewrites the global config with its init block
                deadline = time.monotonic() + 15
                while load_global_config(plan / "global.config.json").validator.init_block is None:
                    assert procs[0].poll() is None, (tmp_path / "p0.log").read_text()
                    assert time.monotonic() < deadline, "the liteservers did not start"
                    time.sleep(0.2)
        served = load_global_config(plan / "global.config.json")
        assert served.liteservers == planned.liteservers  # the same keys: kept in the dir
        deadline = time.monotonic() + STARTUP
        while True:
            for p in procs:
                assert p.poll() is None, [f.read_text() for f in tmp_path.glob("p*.log")]
            try:
                answer = _completion(client_port)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert time.monotonic() < deadline, (
                    tmp_path / f"p{len(procs) - 1}.log"
                ).read_text()
                time.sleep(0.5)
        assert answer["choices"][0]["message"]["content"]
        assert answer["usage"]["total_cost"] > 0
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for log in logs:
            log.close()
