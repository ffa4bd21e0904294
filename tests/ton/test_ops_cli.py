"""`cocoon ton wallet|root ...`: an operator's whole path on an embedded chain file (and on a
chain service): new wallet, funded, deployed, a root deployed and governed, each change seen
in the root; the confirm prompt; keys that never show."""

from __future__ import annotations

import base64
import io
import logging
import os
from functools import partial
from pathlib import Path

import pytest
import trio
from pytoniq_core import Address

from cocoon.cli import main
from cocoon.errors import ConfigError
from cocoon.roles.chain.ledgers import LedgerSpec, open_ledger_spec, parse_ledger_spec
from cocoon.roles.chain.remote import open_ledger
from cocoon.roles.chain.service import serve_ledger
from cocoon.ton.cells import parse_address
from cocoon.ton.codes import LOCAL_CODES, code_by_hash
from cocoon.ton.constants import ONE_TON
from cocoon.ton.embedded.chain import Chain
from cocoon.ton.embedded.ledger import EmbeddedLedger
from cocoon.ton.embedded.store import SqliteStore
from cocoon.ton.root import RootConfig
from cocoon.ton.storage import WalletStorage
from cocoon.ton.wallet_client import open_wallet
from cocoon.tonops.amounts import format_ton, parse_ton
from cocoon.tonops.rootfile import model_hash

OWNER = "UQAuz15H1ZHrZ_psVrAra7HealMIVeFq0wguqlmFno1f3B-m"
WORKER_IMAGE = "ab" * 32
PROXY_IMAGE = "cd" * 32


class Terminal(io.StringIO):
    """A stdin that is a terminal, with the operator's answers queued."""

    def isatty(self) -> bool:
        return True


def new_chain(path: Path, **options) -> None:
    chain = Chain(store=SqliteStore(path), **options)
    chain.store.save(chain, set(), [])  # its wallet code, before any account
    chain.store.close()


def mint(path: Path, address: Address, amount: int) -> None:
    chain = Chain(store=SqliteStore(path))
    try:
        chain.mint(address, amount)
    finally:
        chain.store.close()


def account(path: Path, address: Address):
    chain = Chain(store=SqliteStore(path))
    try:
        return chain.state(address)
    finally:
        chain.store.close()


def transactions(path: Path, address: Address):
    chain = Chain(store=SqliteStore(path))
    try:
        return chain.transactions(address)
    finally:
        chain.store.close()


def root_config(path: Path, root: Address) -> RootConfig:
    state = account(path, root)
    assert state.active and state.data is not None
    return RootConfig.from_data(state.data)


def field(out: str, name: str) -> str:
    """The value of the `name  value` line of a command's output."""
    for line in out.splitlines():
        if line.startswith(name + " "):
            return line[len(name) :].split()[0]
    raise AssertionError(f"no {name!r} line in {out!r}")


class Operator:
    """Runs `cocoon ton ...` as the operator of one wallet on one chain file."""

    def __init__(
        self, tmp_path: Path, capsys, *, name: str = "wallet", chain: Path | None = None, **options
    ) -> None:
        self.key = tmp_path / f"{name}.key"
        self.capsys = capsys
        if chain is None:  # a chain of its own
            chain = tmp_path / "chain.sqlite"
            new_chain(chain, **options)
        self.chain = chain

    @property
    def wallet_args(self) -> list[str]:
        return ["--key", str(self.key), "--owner", OWNER, "--ledger", str(self.chain)]

    def run(self, *argv: str) -> tuple[int, str, str]:
        rc = main(["ton", *argv])
        captured = self.capsys.readouterr()
        return rc, captured.out, captured.err

    def ok(self, *argv: str) -> str:
        rc, out, err = self.run(*argv)
        assert rc == 0, (argv, out, err)
        return out

    def ready_wallet(self, ton: int = 20) -> Address:
        out = self.ok("wallet", "new", "--key", str(self.key), "--owner", OWNER,
                      "--ledger", str(self.chain))  # fmt: skip
        wallet = parse_address(field(out, "raw"))
        mint(self.chain, wallet, ton * ONE_TON)
        self.ok("wallet", "deploy", *self.wallet_args, "--yes")
        return wallet

    def root(self, *extra: str) -> Address:
        out = self.ok("root", "deploy", *self.wallet_args, "--yes", *extra)
        return parse_address(out.strip().splitlines()[-1].split()[-1])


def test_an_operator_stands_up_and_governs_a_root(tmp_path, capsys):
    op = Operator(tmp_path, capsys)
    out = op.ok("wallet", "new", "--key", str(op.key), "--owner", OWNER, "--ledger", str(op.chain))
    assert os.stat(op.key).st_mode & 0o777 == 0o600
    wallet = parse_address(field(out, "raw"))
    # The chain's wallet code is ours: the address is the one its nodes would make.
    assert "local (this project's)" in out

    shown = op.ok("wallet", "show", *op.wallet_args)
    assert field(shown, "status") == "nonexist" and parse_address(field(shown, "raw")) == wallet

    mint(op.chain, wallet, 20 * ONE_TON)
    op.ok("wallet", "deploy", *op.wallet_args, "--yes")
    state = account(op.chain, wallet)
    assert state.active and WalletStorage.from_cell(state.data).seqno == 1
    shown = op.ok("wallet", "show", *op.wallet_args)
    assert field(shown, "status") == "active" and field(shown, "seqno") == "1"

    params = tmp_path / "root.toml"
    params.write_text(
        "unique_id = 4242\nprice_per_token = 20\nworker_fee_per_token = 10\n"
        'prompt_tokens_price_multiplier = 12000\nmodels = ["Qwen/Qwen3-0.6B"]\n'
    )
    root = op.root("--params", str(params), "--set", "is_test=false")
    config = root_config(op.chain, root)
    assert config.owner == wallet and config.version == 1
    assert config.params.unique_id == 4242 and not config.params.is_test
    assert (config.price_per_token, config.worker_fee_per_token) == (20, 10)
    assert config.params.prompt_tokens_price_multiplier == 12000
    assert config.params.client_sc_code.hash == LOCAL_CODES.client.hash
    assert config.model_hashes == {model_hash("Qwen/Qwen3-0.6B")}
    # It got exactly the value (the wallet paid the forwarding apart), less what its own
    # deploy transaction cost on this chain's (mainnet's) prices.
    assert account(op.chain, root).balance == ONE_TON - transactions(op.chain, root)[0].fees
    assert transactions(op.chain, root)[0].fees > 0

    gov = [*op.wallet_args, "--root", root.to_str(), "--yes"]
    op.ok("root", "register-proxy", *gov, "127.0.0.1:8801 127.0.0.1:8802")
    config = root_config(op.chain, root)
    assert config.version == 2 and [p.address.address for p in config.proxies] == [
        "127.0.0.1:8801 127.0.0.1:8802"
    ]
    op.ok("root", "add-image-hash", *gov, "--kind", "worker", WORKER_IMAGE)
    op.ok("root", "add-image-hash", *gov, "--kind", "proxy", PROXY_IMAGE)
    op.ok("root", "add-model-hash", *gov, "--model", "Qwen/Qwen3-8B")
    config = root_config(op.chain, root)
    assert config.worker_hashes == {bytes.fromhex(WORKER_IMAGE)}
    assert config.proxy_hashes == {bytes.fromhex(PROXY_IMAGE)}
    assert model_hash("Qwen/Qwen3-8B") in config.model_hashes and config.version == 5

    op.ok("root", "set-prices", *gov, "--price-per-token", "30")
    config = root_config(op.chain, root)
    assert (config.price_per_token, config.worker_fee_per_token) == (30, 10)
    assert config.params_version == 2
    op.ok("root", "set-prices", *gov, "--min-client-stake", str(2 * ONE_TON))
    config = root_config(op.chain, root)
    assert config.params.min_client_stake == 2 * ONE_TON and config.price_per_token == 30
    assert config.params_version == 3

    op.ok("root", "del-model-hash", *gov, "--model", "Qwen/Qwen3-0.6B")
    op.ok("root", "del-image-hash", *gov, "--kind", "proxy", PROXY_IMAGE)
    op.ok("root", "unregister-proxy", *gov, "1")
    config = root_config(op.chain, root)
    assert not config.proxy_hashes and not config.registered_proxies
    assert config.model_hashes == {model_hash("Qwen/Qwen3-8B")} and config.version == 10

    shown = op.ok("root", "show", "--root", root.to_str(), "--ledger", str(op.chain))
    assert field(shown, "version") == "10" and field(shown, "network") == "id"
    assert "30 nano/token to clients" in shown and "client 2 TON" in shown
    assert WORKER_IMAGE in shown and model_hash("Qwen/Qwen3-8B").hex() in shown
    assert PROXY_IMAGE not in shown and "(this project's root)" in shown


def test_each_spend_shows_what_it_sends_and_a_no_sends_nothing(tmp_path, capsys, monkeypatch):
    op = Operator(tmp_path, capsys)
    wallet = op.ready_wallet()
    root = op.root()
    gov = [*op.wallet_args, "--root", root.to_str()]
    before = (root_config(op.chain, root), account(op.chain, wallet))

    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    rc, out, err = op.run("root", "add-model-hash", *gov, "--model", "m")
    assert rc == 1 and "not sent" in err
    assert "Send? [y/N]" in out and "RootAddModelType (0xc146134d)" in out
    assert model_hash("m").hex() in out and "0.2 TON" in out
    after = (root_config(op.chain, root), account(op.chain, wallet))
    assert after[0].version == before[0].version and after[1].last_tx_lt == before[1].last_tx_lt

    # No terminal to ask on and no --yes: refused, not guessed.
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    rc, out, err = op.run("wallet", "send", *op.wallet_args, "--to", OWNER, "--amount", "1")
    assert rc == 1 and "--yes" in err and "Send?" not in out
    assert account(op.chain, wallet).last_tx_lt == before[1].last_tx_lt

    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    rc, out, err = op.run("root", "add-model-hash", *gov, "--model", "m")
    assert rc == 0, err
    assert model_hash("m") in root_config(op.chain, root).model_hashes


def test_sends_are_refused_before_asking_when_they_cannot_go(tmp_path, capsys, monkeypatch):
    op = Operator(tmp_path, capsys)
    op.ready_wallet(ton=3)
    monkeypatch.setattr("sys.stdin", Terminal(""))  # an empty answer would be a no
    rc, out, err = op.run("wallet", "send", *op.wallet_args, "--to", OWNER, "--amount", "5")
    assert rc == 1 and "Send?" not in out and "need 5100000000 nano" in err
    # Another wallet cannot govern the root: refused before anything is signed.
    root = op.root()
    other = Operator(tmp_path, capsys, name="other", chain=op.chain)
    other.ready_wallet()
    rc, out, err = other.run("root", "add-model-hash", *other.wallet_args, "--root",
                             root.to_str(), "--model", "m", "--yes")  # fmt: skip
    assert rc == 1 and "1010" in err and "RootAddModelType" not in out


def test_a_send_to_an_account_without_code_does_not_bounce(tmp_path, capsys):
    op = Operator(tmp_path, capsys)
    op.ready_wallet()
    fresh = Address((0, bytes([7]) * 32))
    out = op.ok("wallet", "send", *op.wallet_args, "--to", fresh.to_str(False), "--amount",
                "1.5", "--yes", "--comment", "top-up")  # fmt: skip
    assert "bounce  no" in out and "'top-up'" in out
    assert account(op.chain, fresh).balance == parse_ton("1.5")


def test_a_wallet_of_code_known_by_hash_only_deploys_with_cells_taken_from_another(
    tmp_path, capsys
):
    # A chain whose wallets are made with a code it knows by hash only (as TON's mainnet
    # wallets are known here): the first wallet cannot carry its code ...
    local = LOCAL_CODES.wallet
    op = Operator(tmp_path, capsys, wallet_code=code_by_hash(local.hash, local.get_depth(0)))
    out = op.ok("wallet", "new", "--key", str(op.key), "--owner", OWNER, "--ledger", str(op.chain))
    assert "hash only" in out
    mint(op.chain, parse_address(field(out, "raw")), 5 * ONE_TON)
    rc, _out, err = op.run("wallet", "deploy", *op.wallet_args, "--yes")
    assert rc == 1 and "--wallet-code-from" in err
    # ... until a deployed wallet of that code lends its cells (here: one made with ours).
    donor = Operator(tmp_path, capsys, name="donor", chain=op.chain)
    out = donor.ok("wallet", "new", "--key", str(donor.key), "--owner", OWNER,
                   "--ledger", str(op.chain), "--wallet-code", "local")  # fmt: skip
    donor_address = field(out, "raw")
    mint(op.chain, parse_address(donor_address), 5 * ONE_TON)
    donor.ok("wallet", "deploy", *donor.wallet_args, "--wallet-code", "local", "--yes")
    op.ok("wallet", "deploy", *op.wallet_args, "--wallet-code-from", donor_address, "--yes")
    rc, _out, err = op.run("wallet", "show", *op.wallet_args, "--wallet-code-from", OWNER)
    assert rc == 1 and "no code" in err


# --- keys never show ------------------------------------------------------------------------


def _forms(secret: bytes) -> list[str]:
    return [
        secret.hex(),
        secret.hex().upper(),
        base64.b64encode(secret).decode().rstrip("="),
        base64.urlsafe_b64encode(secret).decode().rstrip("="),
    ]


def test_a_bad_key_file_is_refused_without_showing_its_bytes(tmp_path, capsys):
    op = Operator(tmp_path, capsys)
    secret = bytes(range(100, 133))  # 33 bytes: one too many
    op.key.write_bytes(secret)
    op.key.chmod(0o600)
    rc, out, err = op.run("wallet", "show", *op.wallet_args)
    assert rc == 1 and "must hold exactly 32 bytes" in err
    for text in _forms(secret) + _forms(secret[:32]):
        assert text not in out + err
    assert secret[:8].decode("latin-1") not in err

    op.key.write_bytes(secret[:32])
    op.key.chmod(0o644)  # readable by others: refused, and still not shown
    rc, out, err = op.run("wallet", "show", *op.wallet_args)
    assert rc == 1 and "chmod 600" in err
    for text in _forms(secret[:32]):
        assert text not in out + err


def test_a_bad_key_variable_is_refused_without_showing_its_value(tmp_path, capsys, monkeypatch):
    op = Operator(tmp_path, capsys)
    value = bytes(range(31)).hex()  # 31 bytes in hex
    monkeypatch.setenv("OPERATOR_SEED", value)
    argv = ["--key-env", "OPERATOR_SEED", "--owner", OWNER, "--ledger", str(op.chain)]
    rc, out, err = op.run("wallet", "show", *argv)
    assert rc == 1 and "OPERATOR_SEED" in err
    assert value not in out + err and value[:16] not in out + err


def test_the_seed_never_shows_in_output_or_logs(tmp_path, capsys, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    op = Operator(tmp_path, capsys)
    outputs = []
    wallet = op.ready_wallet()
    seed = op.key.read_bytes()
    outputs.append(op.ok("wallet", "show", *op.wallet_args))
    root = op.root()
    outputs.append(op.ok("root", "add-model-hash", *op.wallet_args, "--root", root.to_str(),
                         "--model", "m", "--yes"))  # fmt: skip
    # The same wallet from an environment variable: same address, seed still unseen.
    monkeypatch.setenv("OPERATOR_SEED", base64.b64encode(seed).decode())
    out = op.ok("wallet", "show", "--key-env", "OPERATOR_SEED", "--owner", OWNER,
                "--ledger", str(op.chain))  # fmt: skip
    assert parse_address(field(out, "raw")) == wallet
    outputs.append(out)
    for text in _forms(seed):
        assert all(text not in o for o in outputs) and text not in caplog.text


def test_the_addresses_tool_does_not_echo_a_malformed_seed(capsys):
    seed_like = "Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg!"
    with pytest.raises(SystemExit) as exc:
        main(["ton", "addresses", "--root", OWNER, "--proxy-owner", OWNER,
              "--proxy-seed", seed_like])  # fmt: skip
    assert seed_like[:10] not in str(exc.value)


# --- the ledger chooser and amounts -------------------------------------------------------


def test_ledger_specs():
    assert parse_ledger_spec("chain.sqlite") == LedgerSpec("embedded", "chain.sqlite")
    assert parse_ledger_spec("embedded:/x/c.db") == LedgerSpec("embedded", "/x/c.db")
    assert parse_ledger_spec("http://127.0.0.1:9") == LedgerSpec("service", "http://127.0.0.1:9")
    assert parse_ledger_spec("ton:/etc/global.json") == LedgerSpec("ton", "/etc/global.json")
    for bad in (
        "",
        "ton:",
        "ftp://x",
        "ton:/g.json?wallet_code=mine",
        "ton:/g.json?speed=9",
        "ton:/g.json?max_head_age=soon",
        "ton:/g.json?max_head_age=0",
    ):
        with pytest.raises(ConfigError):
            parse_ledger_spec(bad)
    # A ton: spec may name the LiteLedger's wallet code and trust stage.
    spec = parse_ledger_spec("ton:/etc/g.json?wallet_code=local&trust=key_blocks&max_head_age=5")
    assert spec == LedgerSpec(
        "ton",
        "/etc/g.json",
        (("wallet_code", "local"), ("trust", "key_blocks"), ("max_head_age", "5")),
    )
    assert parse_ledger_spec(str(spec)) == spec


def test_roles_do_not_take_a_ton_ledger_for_a_file_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="ton: ledger"):
        open_ledger("ton:global.config.json")
    assert not any(tmp_path.iterdir())


async def test_a_missing_chain_file_is_an_error_not_a_new_chain(tmp_path):
    with pytest.raises(ConfigError, match="no chain file"):
        async with open_ledger_spec(str(tmp_path / "typo.sqlite")):
            pass
    assert not (tmp_path / "typo.sqlite").exists()


async def test_a_ton_ledger_without_its_global_config_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="no TON global config"):
        async with open_ledger_spec(f"ton:{tmp_path / 'none.json'}"):
            pass


def test_amounts():
    assert parse_ton("1.5") == 1_500_000_000 and parse_ton("0.000000001") == 1
    assert format_ton(1_500_000_000) == "1.5 TON" and format_ton(2 * ONE_TON) == "2 TON"
    for bad in ("1.0000000001", "-1", "abc", "nan", "inf"):
        with pytest.raises(ConfigError):
            parse_ton(bad)


# --- through a chain service --------------------------------------------------------------


async def test_the_tools_work_through_a_chain_service(tmp_path, nursery):
    ledger = EmbeddedLedger(path=tmp_path / "chain.sqlite")
    port = await nursery.start(partial(serve_ledger, ledger, 0))
    url = f"http://127.0.0.1:{port}"
    key = tmp_path / "wallet.key"
    base = ["--key", str(key), "--owner", OWNER, "--ledger", url]

    def run(*argv: str) -> int:
        return main(["ton", *argv])

    try:
        assert await trio.to_thread.run_sync(run, "wallet", "new", *base) == 0
        wallet = await open_wallet(ledger, key.read_bytes(), parse_address(OWNER))
        assert (
            await trio.to_thread.run_sync(
                run,
                "wallet",
                "faucet",
                "--ledger",
                url,
                "--to",
                wallet.address.to_str(),
                "--amount",
                "5",
            )
            == 0
        )
        assert await trio.to_thread.run_sync(run, "wallet", "deploy", *base, "--yes") == 0
        state = await ledger.get_account(wallet.address)
        assert state.active and state.balance == 5 * ONE_TON
    finally:
        nursery.cancel_scope.cancel()
        ledger.close()
