"""`plan_network`: a local network's chain and role configs, for roles in separate processes."""

from __future__ import annotations

import json
import os

import attrs
import pytest
import trio

from cocoon.network import NetworkConfig, plan_network
from cocoon.roles.client.config import ClientConfig
from cocoon.roles.common.config import to_mapping
from cocoon.roles.proxy.config import ProxyConfig
from cocoon.roles.worker.config import WorkerConfig
from cocoon.ton.cells import parse_address
from cocoon.ton.embedded.fees import MAINNET_FEES
from cocoon.ton.embedded.ledger import EmbeddedLedger
from cocoon.ton.ledger import read_contract
from cocoon.ton.wallet_client import open_wallet

BACKENDS = ("127.0.0.1:8001", "127.0.0.1:8002")
LEDGER_URL = "http://127.0.0.1:9999"


@pytest.fixture
def ledger(tmp_path):
    ledger = EmbeddedLedger(path=tmp_path / "ledger.sqlite", fees=MAINNET_FEES)
    yield ledger
    ledger.close()


async def test_written_configs_load_back_equal(tmp_path, ledger):
    plan = await plan_network(NetworkConfig(workers=2), ledger, tmp_path, backends=BACKENDS)
    files = plan.write_configs(tmp_path / "configs", ledger=LEDGER_URL)
    assert [p.name for p in files["proxy"]] == ["proxy0.json"]
    assert [p.name for p in files["worker"]] == ["worker0.json", "worker1.json"]
    assert ProxyConfig.load(files["proxy"][0]) == attrs.evolve(plan.proxies[0], ledger=LEDGER_URL)
    for path, cfg in zip(files["worker"], plan.workers, strict=True):
        assert WorkerConfig.load(path) == attrs.evolve(cfg, ledger=LEDGER_URL)
    assert ClientConfig.load(files["client"][0]) == attrs.evolve(plan.clients[0], ledger=LEDGER_URL)
    # Keys are written in the reference's int256 form, and only the owner may read them.
    data = json.loads(files["proxy"][0].read_text())
    assert len(data["node_wallet_key"]) == 44
    assert files["proxy"][0].stat().st_mode & 0o077 == 0


async def test_the_chain_holds_the_root_and_funded_wallets(tmp_path, ledger):
    config = NetworkConfig(workers=2)
    plan = await plan_network(config, ledger, tmp_path, backends=BACKENDS)
    assert [w.forward_requests_to for w in plan.workers] == list(BACKENDS)
    proxy = plan.proxies[0]
    root = await read_contract(ledger, plan.root, "root")
    assert [(p.workers_endpoint, p.clients_endpoint) for p in root.proxies] == [
        ((proxy.rpc_host, proxy.workers_rpc_port), (proxy.rpc_host, proxy.client_rpc_port))
    ]
    for seed, owner in (
        (proxy.node_wallet_key, proxy.owner_address),
        (plan.clients[0].node_wallet_key, plan.clients[0].owner_address),
    ):
        wallet = await open_wallet(ledger, seed, parse_address(owner))
        assert (await ledger.get_account(wallet.address)).balance >= config.wallet_funds // 2


async def test_a_second_plan_on_the_same_directory_keeps_root_ports_and_keys(tmp_path, ledger):
    first = await plan_network(NetworkConfig(), ledger, tmp_path, backends=BACKENDS)
    again = await plan_network(NetworkConfig(), ledger, tmp_path, backends=BACKENDS)
    assert again == first


async def test_too_few_backends_is_an_error(tmp_path, ledger):
    with pytest.raises(ValueError, match="2 workers"):
        await plan_network(NetworkConfig(workers=2), ledger, tmp_path, backends=BACKENDS[:1])


def test_to_mapping_skips_absent_values():
    cfg = WorkerConfig(model_name="m", owner_address="o", forward_requests_to="127.0.0.1:1")
    data = to_mapping(cfg)
    assert "node_wallet_key" not in data and "state_path" not in data
    assert data["forward_requests_to"] == "127.0.0.1:1"


def test_the_network_command_plans_separate_processes(tmp_path, capsys):
    """`cocoon network --plan DIR`: the chain and every role's config in DIR, and the commands
    that run them, each naming its file; a second plan into the same DIR is refused."""
    from cocoon.cli import main

    argv = ["network", "--plan", str(tmp_path), "--workers", "2", "--chain-port", "18123"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    for name in ("proxy0.json", "worker0.json", "worker1.json", "client0.json"):
        assert f"{tmp_path / name}" in out
    # The chain service charges the fees the plan deployed with: mainnet's unless told.
    assert f"chain serve --path {tmp_path / 'ledger.sqlite'} --port 18123 --fees mainnet" in out
    assert out.count("fake-inference --port") == 2
    worker = WorkerConfig.load(tmp_path / "worker1.json")
    assert worker.ledger == "http://127.0.0.1:18123"
    assert f"--port {worker.backend[1]} " in out  # each worker's fake server is listed
    assert ProxyConfig.load(tmp_path / "proxy0.json").db_path.parent == tmp_path
    assert main(argv) == 2
    assert "already holds a network" in capsys.readouterr().err


def test_a_plan_on_a_zero_fee_chain_serves_it_with_zero_fees(tmp_path, capsys):
    from cocoon.cli import main

    assert main(["network", "--plan", str(tmp_path), "--fees", "zero"]) == 0
    assert f"chain serve --path {tmp_path / 'ledger.sqlite'} --port 10090 --fees zero" in (
        capsys.readouterr().out
    )


def test_a_plan_for_containers_names_hosts_instead_of_loopback(tmp_path):
    """`--plan` for compose.yaml: each role listens on every address and reaches the others
    by name (the proxies' name and fixed ports registered in the root, the chain service's
    URL, the inference server's name)."""
    from cocoon.cli import main

    argv = ["network", "--plan", str(tmp_path), "--listen", "0.0.0.0", "--proxy-host", "proxy",
            "--proxy-ports", "11101:11102", "--chain-url", "http://chain:10090",
            "--inference-url", "inference:8000"]  # fmt: skip
    assert main(argv) == 0
    proxy = ProxyConfig.load(tmp_path / "proxy0.json")
    worker = WorkerConfig.load(tmp_path / "worker0.json")
    client = ClientConfig.load(tmp_path / "client0.json")
    assert (proxy.rpc_host, proxy.workers_rpc_port, proxy.client_rpc_port) == (
        "0.0.0.0",
        11101,
        11102,
    )
    assert worker.proxies == ("proxy:11101",) and client.proxies == ("proxy:11102",)
    assert worker.forward_requests_to == "inference:8000"
    assert {c.http_host for c in (proxy, worker, client)} == {"0.0.0.0"}
    assert {c.ledger for c in (proxy, worker, client)} == {"http://chain:10090"}
    ledger = EmbeddedLedger(path=tmp_path / "ledger.sqlite")
    try:  # a plain test: `main` runs trio itself
        address = parse_address(proxy.root_contract_address)
        root = trio.run(read_contract, ledger, address, "root")
    finally:
        ledger.close()
    # Registered by name: the roles' configs list the proxy, as the reference's readers of
    # the root take only IPv4 addresses.
    assert [p.address.address for p in root.registered_proxies] == ["proxy:11101 proxy:11102"]


def test_the_runs_ledger_switch_leaves_named_ledgers_and_fake_ton_alone(tmp_path):
    """COCOON_TEST_LEDGER (tests/conftest.py) picks the ledger of a config that names none;
    a config naming one, or a fake-TON one, keeps its own."""
    switched = os.environ.get("COCOON_TEST_LEDGER") or "embedded"
    assert NetworkConfig().ledger == switched
    assert attrs.evolve(NetworkConfig(), workers=2).ledger == switched
    assert NetworkConfig(ledger="embedded").ledger == "embedded"
    assert NetworkConfig(ledger="lite").ledger == "lite"
    assert NetworkConfig(fake_ton=tmp_path / "fake.json").ledger == "embedded"
