"""Code cells of local networks: our compiled contracts, shipped in the package, run by the
embedded chain, wallets included; mainnet and fake-TON identities unchanged; chains persisted
with the old placeholder codes (and the reference's wallets) still run."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from cocoon import ton
from cocoon.ton import flows
from cocoon.ton.bodies import RootChangePrice
from cocoon.ton.cells import parse_state_init
from cocoon.ton.codes import ContractCodes, compiled_code, is_identity_only, local_code
from cocoon.ton.embedded.store import SqliteStore
from tests.ton.helpers import addr

REPO = Path(__file__).resolve().parent.parent.parent
BUILD = REPO / "contracts" / "build"
PACKAGE = REPO / "cocoon" / "ton" / "compiled"
KINDS = ("root", "proxy", "worker", "client", "wallet")
T = ton.ONE_TON


def _manifest() -> dict[str, dict]:
    return json.loads((BUILD / "manifest.json").read_text())["contracts"]


def test_the_package_ships_exactly_the_committed_build() -> None:
    # One source of truth: contracts/scripts/build.mjs writes both folders (and `--check`
    # compares both with a fresh compile); this holds where node is missing too.
    built = sorted(p.name for p in BUILD.iterdir() if p.suffix in (".boc", ".json"))
    shipped = sorted(p.name for p in PACKAGE.iterdir() if p.suffix in (".boc", ".json"))
    assert shipped == built and {f"{k}.boc" for k in KINDS} <= set(built)
    for name in built:
        assert (PACKAGE / name).read_bytes() == (BUILD / name).read_bytes(), name


@pytest.mark.parametrize("kind", KINDS)
def test_local_codes_are_our_compiled_contracts(kind: str) -> None:
    code = getattr(ton.LOCAL_CODES, kind)
    entry = _manifest()[kind]
    assert not is_identity_only(code)  # a real cell tree, deployable as it is
    assert ton.cell_hash(code).hex() == entry["hash"]
    assert code.get_depth() == entry["depth"]
    assert ton.cell_hash(code) != ton.cell_hash(local_code(kind))
    assert compiled_code(kind).hash == code.hash


def test_a_new_chain_runs_our_codes_with_the_ports() -> None:
    kinds = ton.Chain().code_kinds
    for kind in KINDS:
        assert kinds[bytes.fromhex(_manifest()[kind]["hash"])] == kind
    # Mainnet wallets and the reference's fake-TON codes are still known.
    assert kinds[ton.cell_hash(ton.COCOON_WALLET_CODE)] == "wallet"
    for kind in ("proxy", "worker", "client"):
        assert kinds[ton.cell_hash(getattr(ton.REFERENCE_FAKE_CODES, kind))] == kind


async def test_a_local_network_holds_only_real_code() -> None:
    ledger = ton.EmbeddedLedger(clock=ton.ManualClock(1_800_000_000))
    chain = ledger.chain
    owner = chain.create_user(addr(1), 10 * T)
    root = ton.deploy_root(chain, owner=owner)
    state = chain.state(root)
    assert state.code is not None and state.code.hash == ton.LOCAL_CODES.root.hash
    params = (await ton.read_root_config(ledger, root)).params
    assert params.proxy_sc_code.hash == ton.LOCAL_CODES.proxy.hash
    assert params.worker_sc_code.hash == ton.LOCAL_CODES.worker.hash
    assert params.client_sc_code.hash == ton.LOCAL_CODES.client.hash
    # A node's wallet is our CocoonWallet: the chain says so, and its first send deploys it.
    wallet = await ton.open_wallet(ledger, b"\x0a" * 32, owner)
    assert wallet.contract.code.hash == ton.LOCAL_CODES.wallet.hash
    await ledger.faucet(wallet.address, 20 * T)
    signer = ton.PaymentSigner(b"\x0b" * 32)
    proxy = ton.ProxyContract(owner, signer.public_key, root, params)
    await wallet.send(flows.deploy(proxy))
    assert chain.state(wallet.address).code.hash == ton.LOCAL_CODES.wallet.hash
    proxy_state = chain.state(proxy.address)
    assert proxy_state.active and proxy_state.code.hash == ton.LOCAL_CODES.proxy.hash
    assert all(a.code is None or not is_identity_only(a.code) for a in chain.accounts.values())


async def test_a_local_wallet_is_deployable_as_it_is() -> None:
    ledger = ton.EmbeddedLedger(clock=ton.ManualClock(1_800_000_000))
    code = await ledger.wallet_code()
    entry = _manifest()["wallet"]
    assert not is_identity_only(code) and code.get_depth() == entry["depth"]
    assert ton.cell_hash(code).hex() == entry["hash"]
    owner = ledger.chain.create_user(addr(1), 10 * T)
    wallet = await ton.open_wallet(ledger, b"\x0a" * 32, owner)
    # The StateInit its first external carries holds the real code tree, and the address is
    # the hash of that StateInit (not of a cell standing for the code).
    init = wallet.contract.state_init()
    init_code, _ = parse_state_init(init)
    assert init_code.hash == code.hash and not is_identity_only(init_code)
    assert ton.address_of(init) == wallet.address
    assert wallet.address != ton.wallet_address(
        wallet.public_key, owner, code=ton.COCOON_WALLET_CODE
    )
    await ledger.faucet(wallet.address, 5 * T)
    (tx,) = await wallet.send(ton.Transfer(owner, T))
    assert tx.success and ledger.chain.state(wallet.address).code.hash == code.hash
    assert await wallet.seqno() == 1


def test_a_chain_keeps_its_wallet_code_in_its_store(tmp_path) -> None:
    path = tmp_path / "chain.sqlite"
    store = SqliteStore(path)
    chain = ton.Chain(store=store, wallet_code=ton.COCOON_WALLET_CODE)
    chain.create_user(addr(1), T)
    store.close()
    store = SqliteStore(path)
    assert ton.Chain(store=store).wallet_code.hash == ton.COCOON_WALLET_CODE.hash
    store.close()
    # A new chain makes ours.
    store = SqliteStore(tmp_path / "new.sqlite")
    assert ton.Chain(store=store).wallet_code.hash == ton.LOCAL_CODES.wallet.hash
    store.close()


def test_a_chain_persisted_before_wallet_codes_keeps_its_reference_wallets(tmp_path) -> None:
    # Chains saved before chains chose their wallet code made every wallet with the
    # reference's; reloaded, they still do, so their wallets keep their addresses and money.
    path = tmp_path / "chain.sqlite"
    store = SqliteStore(path)
    chain = ton.Chain(store=store)
    chain.create_user(addr(1), T)
    store.close()
    db = sqlite3.connect(path)
    db.execute("DELETE FROM meta WHERE name = 'wallet_code'")
    db.commit()
    db.close()
    store = SqliteStore(path)
    again = ton.Chain(store=store)
    assert again.wallet_code.hash == ton.COCOON_WALLET_CODE.hash
    again.mint(addr(2), 1)  # and it says so from now on
    store.close()
    db = sqlite3.connect(path)
    (saved,) = db.execute("SELECT value FROM meta WHERE name = 'wallet_code'").fetchone()
    db.close()
    assert ton.from_boc(bytes.fromhex(saved)).hash == ton.COCOON_WALLET_CODE.hash


def test_a_chain_persisted_with_the_old_placeholder_codes_still_runs(tmp_path) -> None:
    # Local networks made before our contracts existed ran text cells `cocoon-local:<kind>:v1`;
    # the store keeps the chain's code kinds, so a new version reloads and runs them.
    old = ContractCodes(*(local_code(k) for k in ("root", "proxy", "worker", "client")))
    path = tmp_path / "chain.sqlite"
    clock = ton.ManualClock(1_800_000_000)
    store = SqliteStore(path)
    chain = ton.Chain(clock=clock, codes=(old,), store=store)
    owner = chain.create_user(addr(1), 10 * T)
    root = ton.deploy_root(chain, owner=owner, codes=old, params=ton.local_params(old))
    store.close()

    store = SqliteStore(path)
    again = ton.Chain(clock=clock, codes=(), store=store)  # no code kinds but the stored ones
    assert again.state(root).code.hash == local_code("root").hash
    assert old.kinds().items() <= again.code_kinds.items()
    assert again.storage(root).params.price_per_token != 7
    ton.root_command(again, owner, root, RootChangePrice(0, 7, 3))
    assert again.storage(root).params.price_per_token == 7
    store.close()
