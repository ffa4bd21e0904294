"""`cocoon proxy|worker|client CONFIG --disable-ton FAKE_TON_CONFIG`: the reference's flag."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cocoon.cli import main
from cocoon.ton.cells import parse_address
from cocoon.ton.faketon import LOCAL_ALL_OWNER, LOCAL_ALL_ROOT, FakeTonLedger
from cocoon.ton.ledger import read_root_config

FIXTURE = Path(__file__).parent.parent / "data" / "fake-ton-config.json"

CONFIGS = {
    "proxy": {"owner_address": LOCAL_ALL_OWNER, "root_contract_address": LOCAL_ALL_ROOT},
    "worker": {
        "owner_address": LOCAL_ALL_OWNER,
        "root_contract_address": LOCAL_ALL_ROOT,
        "model_name": "Qwen/Qwen3-8B",
        "forward_requests_to": "127.0.0.1:8000",
    },
    "client": {"owner_address": LOCAL_ALL_OWNER, "root_contract_address": LOCAL_ALL_ROOT},
}
RUNNERS = {
    "proxy": ("cocoon.roles.proxy.runner", "run_proxy"),
    "worker": ("cocoon.roles.worker.runner", "run_worker"),
    "client": ("cocoon.roles.client.runner", "run_client"),
}


def write_config(tmp_path: Path, role: str) -> str:
    path = tmp_path / f"{role}.json"
    path.write_text(json.dumps(CONFIGS[role]))
    return str(path)


@pytest.mark.parametrize("role", ["proxy", "worker", "client"])
def test_each_role_runs_on_the_fake_ton_config(tmp_path, monkeypatch, role) -> None:
    import importlib

    seen = {}

    async def fake_run(config, *, ledger, **kwargs) -> None:
        seen["ledger"] = ledger
        seen["root"] = await read_root_config(ledger, parse_address(LOCAL_ALL_ROOT))

    module, name = RUNNERS[role]
    monkeypatch.setattr(importlib.import_module(module), name, fake_run)
    flag = "-C" if role == "worker" else "--disable-ton"  # the reference's two spellings
    assert main([role, write_config(tmp_path, role), flag, str(FIXTURE)]) == 0
    assert isinstance(seen["ledger"], FakeTonLedger) and seen["ledger"].fake_ton
    assert seen["root"].price_per_token == 2 and seen["root"].version == 3


def test_a_bad_fake_ton_config_fails_at_start(tmp_path, capsys) -> None:
    bad = tmp_path / "fake.json"
    bad.write_text(json.dumps({"proxy_sc_code": "$PROXY_SC_CODE"}))
    assert main(["proxy", write_config(tmp_path, "proxy"), "--disable-ton", str(bad)]) == 2
    assert "PLACEHOLDER" in capsys.readouterr().err


def test_disable_ton_and_ledger_exclude_each_other(tmp_path) -> None:
    argv = ["client", write_config(tmp_path, "client"), "--disable-ton", str(FIXTURE)]
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--ledger", "http://127.0.0.1:1"])
    assert exc.value.code == 2


def test_network_plan_in_fake_ton_mode(tmp_path, capsys) -> None:
    # Our roles as separate processes on the fake config: the proxy on the ports the file
    # registers and with the reference's --local-all keys, every command with --disable-ton.
    plan = tmp_path / "plan"
    assert main(["network", "--disable-ton", str(FIXTURE), "--plan", str(plan)]) == 0
    out = capsys.readouterr().out
    roles = [line for line in out.splitlines() if " -m cocoon proxy" in line or
             " -m cocoon worker" in line or " -m cocoon client" in line]  # fmt: skip
    assert len(roles) == 3
    assert all(line.endswith(f"--disable-ton {FIXTURE.resolve()}") for line in roles)
    assert "chain serve" not in out
    proxy = json.loads((plan / "proxy0.json").read_text())
    assert (proxy["workers_rpc_port"], proxy["client_rpc_port"]) == (11001, 11002)
    assert proxy["machine_specific_private_key"] == "ml+7xELuOQtfp9q9mSWtHiSWx5aSBV6p3xCfwPmHOwY="
    assert proxy["owner_address"] == LOCAL_ALL_OWNER and proxy["ledger"] == ""
    assert (proxy["worker_policy"], proxy["client_policy"]) == ("any", "any")
    client = json.loads((plan / "client0.json").read_text())
    assert client["node_wallet_key"] == "gaEatwGNgLGOeFI/TRGfPdJG/K4G8picYHQkDHpLQ9w="
    assert client["proxy_policy"] == "any"
