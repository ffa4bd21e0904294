"""Spec 30 section 16: every test vector, through the public API."""

from __future__ import annotations

import base64

import pytest

from cocoon import ton
from cocoon.ton.keys import public_key

OWNER = "UQAuz15H1ZHrZ_psVrAra7HealMIVeFq0wguqlmFno1f3B-m"
ROOT = "EQBT4hy4vMEZ9uxSCuhw_gBKh9_AwmHXLe7Wo0O4Vh-4kRjJ"
WALLET_SEED = base64.b64decode("gaEatwGNgLGOeFI/TRGfPdJG/K4G8picYHQkDHpLQ9w=")
PROXY_SEED = base64.b64decode("ml+7xELuOQtfp9q9mSWtHiSWx5aSBV6p3xCfwPmHOwY=")


def fake_params(**changes: object) -> ton.Params:
    codes = ton.REFERENCE_FAKE_CODES
    return ton.Params.reference_fake(
        proxy_sc_code=codes.proxy,
        worker_sc_code=codes.worker,
        client_sc_code=codes.client,
        **changes,
    )


def test_vector1_params_cell_without_codes() -> None:
    cell = ton.Params.reference_fake().to_cell(ton.MASK_NONE)
    assert len(cell.bits) == 236
    assert ton.to_boc(cell).hex() == (
        "b5ee9c7201010101002000003b01000000010000000d8810808000012c0000009621dcd650021dcd650008"
    )
    assert ton.cell_hash(cell).hex() == (
        "59b8161e92d89302035d2d082eabf144dcadd01b8e710f8a9c6004da44a0e7a1"
    )
    # The codes are dropped by the mask, so the fake-code params give the same cell.
    assert ton.cell_hash(fake_params().to_cell(ton.MASK_NONE)) == ton.cell_hash(cell)


def test_vector1_struct_version_3() -> None:
    cell = ton.Params.reference_fake(struct_version=3).to_cell(ton.MASK_NONE)
    assert len(cell.bits) == 364
    assert ton.cell_hash(cell).hex() == (
        "8e161e9e3857a58a73a099f579df38f08379144a73b77e6ae3450162275dd45e"
    )


def test_vector2_wallet_address() -> None:
    key = public_key(WALLET_SEED)
    assert key.hex() == "db4f96e50b5c679fea16504ffc1548c0b32fdc7225e6401f9fc5d721b0f99710"
    # Mainnet's CocoonWallet (the reference's code, by hash).
    wallet = ton.WalletContract(
        public_key=key, owner=ton.parse_address(OWNER), code=ton.COCOON_WALLET_CODE
    )
    data = wallet.initial_storage().to_cell()
    assert ton.cell_hash(data).hex().startswith("9e3314dc")
    assert ton.cell_hash(data).hex().endswith("73a1")
    assert ton.raw(wallet.address) == (
        "0:9d8f8ddb043c9e2657dee85552a562dfb03329e181db9b3e6571ae7eb4dcfe7f"
    )
    assert ton.friendly(wallet.address) == "UQCdj43bBDyeJlfe6FVSpWLfsDMp4YHbmz5lca5-tNz-fx20"
    assert (
        ton.wallet_address(key, ton.parse_address(OWNER), code=ton.COCOON_WALLET_CODE)
        == wallet.address
    )


def test_vector3_fake_mode_addresses() -> None:
    params = fake_params()
    assert ton.cell_hash(params.to_cell(ton.MASK_PROXY)).hex() == (
        "ce646bbfd033725d142f4b609ee508451bfaf6d25c2b2deae0e3cee17861c428"
    )
    key = public_key(PROXY_SEED)
    assert key.hex() == "559087582b7e5ea2b2b986c258e0067b806a59b154e955decf00429610eab095"
    owner = ton.parse_address(OWNER)
    proxy = ton.ProxyContract(owner, key, ton.parse_address(ROOT), params)
    assert len(proxy.initial_storage().to_cell().bits) == 832
    assert ton.raw(proxy.address) == (
        "0:4f93161f3ca80e04c6db8bd55054ed83433ed6837c3d2b9613b25f31d7f29a79"
    )
    wallet = ton.wallet_address(public_key(WALLET_SEED), owner, code=ton.COCOON_WALLET_CODE)
    assert ton.raw(proxy.client(wallet).address) == (
        "0:800a33452d8e00ac8f99750b006b31005b8d4abc7c952005ac161f696ea700d5"
    )
    assert ton.raw(proxy.worker(owner).address) == (
        "0:cb6068511cda97aae29725acec8cc0545215ed999fcda26e37fbfb33b6983cd1"
    )


def test_vector4_signed_charge_payload() -> None:
    client = ton.parse_address("0:9d8f8ddb043c9e2657dee85552a562dfb03329e181db9b3e6571ae7eb4dcfe7f")
    signer = ton.PaymentSigner(PROXY_SEED)
    payment = signer.client_charge(client, 1000, client, query_id=0x0123456789ABCDEF)
    assert payment.body.OP == 0xBB63FF93
    assert len(payment.body.payload.bits) == 427
    assert ton.cell_hash(payment.body.payload).hex() == (
        "8851d60379404019e2eb1f5f89547b2ac11eb0fad33b86474ca487efeb04fa3c"
    )
    outer = payment.body.to_cell()
    assert (len(outer.bits), len(outer.refs)) == (875, 1)


def test_wallet_code_identity_matches_spec() -> None:
    assert ton.cell_hash(ton.COCOON_WALLET_CODE).hex() == (
        "7a48f05ceef40f06cabbaa39c1c5a67b24e8bb59d8cf8a74e49988a5f44cf66a"
    )


@pytest.mark.parametrize("kind", ["proxy", "worker", "client"])
def test_identity_cells_survive_a_boc(kind: str) -> None:
    code = getattr(ton.REFERENCE_FAKE_CODES, kind)
    again = ton.from_boc(ton.to_boc(code))
    assert ton.cell_hash(again) == ton.cell_hash(code)
    assert again.get_depth(0) == code.get_depth(0)
