"""`cocoon ton addresses` reproduces the fake-mode vectors; `cocoon ton inspect` reads BOCs."""

from __future__ import annotations

import base64

from cocoon import ton
from cocoon.cli import main
from cocoon.ton.keys import public_key
from tests.ton.test_vectors import OWNER, ROOT

SEED_W = "gaEatwGNgLGOeFI/TRGfPdJG/K4G8picYHQkDHpLQ9w="
SEED_P = "ml+7xELuOQtfp9q9mSWtHiSWx5aSBV6p3xCfwPmHOwY="


def test_addresses(capsys) -> None:
    argv = ["ton", "addresses", "--root", ROOT, "--proxy-owner", OWNER, "--proxy-seed", SEED_P,
            "--wallet-seed", SEED_W, "--wallet-owner", OWNER, "--worker-owner", OWNER]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    for h in ("4f93161f3ca8", "9d8f8ddb043c", "800a33452d8e", "cb6068511cda"):
        assert f"0:{h}" in out


def test_inspect(capsys) -> None:
    boc = "b5ee9c7201010101002000003b01000000010000000d8810808000012c0000009621dcd650021dcd650008"
    assert main(["ton", "inspect", boc, "--as", "params"]) == 0
    assert "unique_id = 13" in capsys.readouterr().out
    assert main(["ton", "inspect", boc, "--as", "payment"]) == 1


def test_addresses_take_the_wallet_code_of_the_network(capsys) -> None:
    # A local network's wallets are ours, the reference's (fake mode, mainnet) its own.
    base = ["ton", "addresses", "--root", ROOT, "--proxy-owner", OWNER, "--proxy-seed", SEED_P,
            "--wallet-seed", SEED_W, "--wallet-owner", OWNER]  # fmt: skip
    key, owner = public_key(base64.b64decode(SEED_W)), ton.parse_address(OWNER)
    for extra, code in (
        ([], ton.COCOON_WALLET_CODE),
        (["--params", "local"], ton.LOCAL_CODES.wallet),
        (["--params", "local", "--wallet-code", "reference"], ton.COCOON_WALLET_CODE),
        (["--wallet-code", "local"], ton.LOCAL_CODES.wallet),
    ):
        assert main(base + extra) == 0
        wallet = ton.wallet_address(key, owner, code=code)
        assert f"cocoon wallet    {ton.friendly(wallet)}" in capsys.readouterr().out, extra
