"""The reference's fake-TON config file (spec 30 section 13) and the pseudo chain a role runs on.

The fixture `tests/data/fake-ton-config.json` is ours, in the reference's format: its codes are
cells standing for the reference's runtime.vars codes by hash, so the addresses derived from it
must be spec 30 section 16, vector 3.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from cocoon import ton
from cocoon.errors import ConfigError
from cocoon.ton.faketon import (
    FAKE_ACCOUNT_BALANCE,
    LOCAL_ALL_CLIENT_WALLET_KEY,
    LOCAL_ALL_OWNER,
    LOCAL_ALL_PROXY_KEY,
    LOCAL_ALL_ROOT,
    FakeTonLedger,
    load_fake_ton_config,
    open_fake_ton,
    pseudo_config,
    root_from_pseudo,
)
from cocoon.ton.keys import public_key
from cocoon.ton.ledger import read_root_config
from cocoon.ton.wallet import Transfer
from cocoon.ton.wallet_client import open_wallet

FIXTURE = Path(__file__).parent.parent / "data" / "fake-ton-config.json"


def fixture_data() -> dict:
    return json.loads(FIXTURE.read_text())


def test_fixture_gives_the_spec_vector3_addresses() -> None:
    root = load_fake_ton_config(FIXTURE)
    params = root.params
    # What the reference fills in for a pseudo config (section 13).
    assert (params.struct_version, params.unique_id, params.is_test) == (1, 13, True)
    assert (params.proxy_delay_before_close, params.client_delay_before_close) == (600, 300)
    assert (params.min_proxy_stake, params.min_client_stake) == (ton.ONE_TON, ton.ONE_TON)
    assert (params.price_per_token, params.worker_fee_per_token) == (2, 1)
    assert (root.version, root.last_proxy_seqno, params.params_version) == (3, 1, 1)
    assert ton.cell_hash(params.to_cell(ton.MASK_PROXY)).hex() == (
        "ce646bbfd033725d142f4b609ee508451bfaf6d25c2b2deae0e3cee17861c428"
    )
    key = public_key(LOCAL_ALL_PROXY_KEY)
    assert key.hex() == "559087582b7e5ea2b2b986c258e0067b806a59b154e955decf00429610eab095"
    owner = ton.parse_address(LOCAL_ALL_OWNER)
    proxy = ton.ProxyContract(owner, key, ton.parse_address(LOCAL_ALL_ROOT), params)
    assert ton.raw(proxy.address) == (
        "0:4f93161f3ca80e04c6db8bd55054ed83433ed6837c3d2b9613b25f31d7f29a79"
    )
    wallet = ton.wallet_address(
        public_key(LOCAL_ALL_CLIENT_WALLET_KEY), owner, code=ton.REFERENCE_FAKE_CODES.wallet
    )
    assert ton.raw(proxy.client(wallet).address) == (
        "0:800a33452d8e00ac8f99750b006b31005b8d4abc7c952005ac161f696ea700d5"
    )
    assert ton.raw(proxy.worker(owner).address) == (
        "0:cb6068511cda97aae29725acec8cc0545215ed999fcda26e37fbfb33b6983cd1"
    )


def test_registry_hashes_and_models_as_the_reference_loads_them() -> None:
    root = load_fake_ton_config(FIXTURE)
    (proxy,) = root.proxies
    assert proxy.seqno == 1
    assert proxy.workers_endpoint == ("127.0.0.1", 11001)
    assert proxy.clients_endpoint == ("127.0.0.1", 11002)
    image = base64.b64decode("XFXI9NtAELqSA9g1NtBgmFavjIR6wDnjfn3ej71XS2E=")
    assert root.proxy_hashes == root.worker_hashes == {image}
    # model_types are hashed up to the '@'; `model_names` is not a field and is ignored.
    assert root.model_hashes == {hashlib.sha256(b"Qwen/Qwen3-8B").digest()}
    assert root.owner == ton.parse_address("0QBgPMq7ye2WRcudRHK_-yjHwMXjeN-UCzAuoo06TR6hmgHV")


def test_tl_json_leniency_and_empty_codes() -> None:
    data = {
        "price_per_token": "5",  # TL-JSON: integers may be strings
        "root_owner_address": LOCAL_ALL_OWNER,
        "registered_proxies": [{"seqno": 2, "address": "10.0.0.1:1"}],
    }
    root = root_from_pseudo(data)
    assert root.price_per_token == 5 and root.worker_fee_per_token == 0
    assert root.proxies[0].clients_endpoint == ("10.0.0.1", 1)  # one address serves both
    empty = root.params.proxy_sc_code
    assert empty is not None and len(empty.bits) == 0 and not empty.refs  # "" is an empty cell


def test_round_trip_through_the_file_form() -> None:
    root = load_fake_ton_config(FIXTURE)
    assert root_from_pseudo(json.loads(json.dumps(pseudo_config(root)))) == root


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"registered_proxies": [{"seqno": 1, "address": "$EXTERNAL_IP:1"}]}, "PLACEHOLDER"),
        ({"proxy_sc_code": "$PROXY_SC_CODE"}, "PLACEHOLDER"),
        ({"proxy_sc_code": "zz"}, "not a hex BOC"),
        ({"worker_hashes": ["AAAA"]}, "expected 32 bytes"),
        ({"registered_proxies": [{"seqno": 1, "address": "nohost"}]}, "cannot parse address"),
        ({"version": [3]}, "expected an integer"),
    ],
)
def test_bad_files_are_refused_with_the_key(tmp_path: Path, change: dict, message: str) -> None:
    path = tmp_path / "fake.json"
    path.write_text(json.dumps(fixture_data() | change))
    with pytest.raises(ConfigError, match=message):
        load_fake_ton_config(path)


def test_unreadable_file_and_missing_root_address(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_fake_ton_config(tmp_path / "none.json")
    with pytest.raises(ConfigError, match="root_contract_address"):
        open_fake_ton(FIXTURE, "")


async def test_pseudo_chain_serves_the_root_at_the_configured_address() -> None:
    ledger = open_fake_ton(FIXTURE, LOCAL_ALL_ROOT)
    assert ledger.fake_ton
    root = await read_root_config(ledger, ton.parse_address(LOCAL_ALL_ROOT))
    assert root == load_fake_ton_config(FIXTURE)


async def test_every_account_holds_pseudo_funds() -> None:
    ledger = FakeTonLedger(load_fake_ton_config(FIXTURE), ton.parse_address(LOCAL_ALL_ROOT))
    wallet = ton.wallet_address(
        public_key(LOCAL_ALL_CLIENT_WALLET_KEY),
        ton.parse_address(LOCAL_ALL_OWNER),
        code=await ledger.wallet_code(),
    )
    state = await ledger.get_account(wallet)
    assert state.balance == FAKE_ACCOUNT_BALANCE
    assert (await ledger.get_account(wallet)).balance == FAKE_ACCOUNT_BALANCE  # minted once


async def test_a_pseudo_chains_wallets_are_the_references() -> None:
    # Fake mode's wallets are mainnet's (the reference's code), so a client's wallet and the
    # client contract keyed by it are at the addresses the reference computes (vectors 2, 3).
    ledger = open_fake_ton(FIXTURE, LOCAL_ALL_ROOT)
    code = await ledger.wallet_code()
    assert ton.cell_hash(code) == ton.cell_hash(ton.COCOON_WALLET_CODE)
    owner = ton.parse_address(LOCAL_ALL_OWNER)
    wallet = await open_wallet(ledger, LOCAL_ALL_CLIENT_WALLET_KEY, owner)
    assert ton.raw(wallet.address) == (
        "0:9d8f8ddb043c9e2657dee85552a562dfb03329e181db9b3e6571ae7eb4dcfe7f"
    )
    root = load_fake_ton_config(FIXTURE)
    proxy = ton.ProxyContract(
        owner, public_key(LOCAL_ALL_PROXY_KEY), ton.parse_address(LOCAL_ALL_ROOT), root.params
    )
    assert ton.raw(proxy.client(wallet.address).address) == (
        "0:800a33452d8e00ac8f99750b006b31005b8d4abc7c952005ac161f696ea700d5"
    )
    # Its first send deploys it there (the chain runs the wallet port for the hash).
    (tx,) = await wallet.send(Transfer(owner, ton.ONE_TON))
    assert tx.success and (await ledger.get_account(wallet.address)).active


async def test_a_new_pseudo_chain_starts_above_an_earlier_ones_times() -> None:
    # A restarted proxy remembers the last lt it saw; what its new chain shows must be newer.
    root, address = load_fake_ton_config(FIXTURE), ton.parse_address(LOCAL_ALL_ROOT)
    owner = ton.parse_address(LOCAL_ALL_OWNER)

    async def one_send(ledger: FakeTonLedger) -> int:
        wallet = await open_wallet(ledger, LOCAL_ALL_PROXY_KEY, owner)
        (tx,) = await wallet.send(Transfer(owner, ton.ONE_TON))
        return tx.lt

    first = await one_send(FakeTonLedger(root, address))
    assert await one_send(FakeTonLedger(root, address)) > first
