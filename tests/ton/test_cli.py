"""`cocoon ton addresses` reproduces the fake-mode vectors; `cocoon ton inspect` reads BOCs."""

from __future__ import annotations

from cocoon.cli import main
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
