"""TON's own tonlib against the fake liteserver over ADNL on loopback: it syncs from the global
config's init block through the fake's block proof chain (validator signatures, ordinary and
simplex, shuffled validators, a change of validator set at a key block), reads an account and
its transactions, and refuses forged signatures, a tampered account and a broken transaction
list. Skipped with the reason where `pytonlib` (the `tonlib` extra) is not installed or its
library does not load.

These run on real time: tonlib has its own threads and clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import attrs
import pytest
import trio

from cocoon import ton
from cocoon.ton.codes import LOCAL_CODES
from cocoon.ton.embedded.chain import Chain
from cocoon.ton.lite.blocks import SyntheticChain, ValidatorKeys
from cocoon.ton.lite.config import GlobalConfig, LiteServerConfig, ValidatorConfig
from cocoon.ton.lite.fake import FAKE_ZERO_STATE, BlockProducer, FakeLiteHandler, LocalLiteQuery
from cocoon.ton.lite.ledger import TRUST_KEY_BLOCKS, LiteLedger, LiteLedgerOptions
from cocoon.ton.lite.server import serve_lite
from cocoon.ton.lite.types import BlockIdExt
from tests.ton.helpers import addr
from tests.ton.lite.tonlib_json import TonlibClient, load_tonlib

LIB, WHY_NOT = load_tonlib()
pytestmark = pytest.mark.skipif(LIB is None, reason=WHY_NOT or "tonlib unavailable")

T = ton.ONE_TON


@attrs.define
class Fake:
    chain: Chain
    producer: BlockProducer
    handler: FakeLiteHandler
    config: dict[str, Any]
    wallet: ton.Wallet
    tonlib: TonlibClient


@asynccontextmanager
async def fake_and_tonlib(**chain_options: Any) -> AsyncIterator[Fake]:
    """A fake liteserver over an embedded chain where a wallet has paid once (its ledger on
    stage 2 trust), a new set of validators since, and a tonlib client started on its config."""
    assert LIB is not None
    chain = Chain()
    synthetic = SyntheticChain(validators=ValidatorKeys.generate(4), **chain_options)
    producer = BlockProducer(chain, block_interval=0.3, synthetic=synthetic)
    handler = FakeLiteHandler(producer)
    async with trio.open_nursery() as nursery:
        await nursery.start(producer.run)
        server = await nursery.start(serve_lite, handler)
        init = synthetic.mc_blocks[0].id
        zero = FAKE_ZERO_STATE
        config = GlobalConfig(
            (LiteServerConfig("127.0.0.1", server.port, server.public_key),),
            ValidatorConfig(
                BlockIdExt(-1, -(2**63), 0, zero["root_hash"], zero["file_hash"]),
                BlockIdExt(-1, init.shard_signed, 1, init.root_hash, init.file_hash),
            ),
        ).to_json()
        options = LiteLedgerOptions(
            trust=TRUST_KEY_BLOCKS, init_block=init, wallet_code=LOCAL_CODES.wallet
        )
        ledger = LiteLedger([LocalLiteQuery(handler)], options)
        owner = chain.create_user(addr(1), 10 * T)
        # The chain's own wallet code: the reference's is known by hash only (a pruned branch),
        # which tonlib rightly refuses in an account state.
        wallet = ton.Wallet(ledger, b"\x0a" * 32, owner, resend_every=5, code=LOCAL_CODES.wallet)
        chain.mint(wallet.address, 20 * T)
        dest = chain.create_user(addr(3), 0)
        with trio.fail_after(30):
            for value in (3 * T, 2 * T, 1 * T):  # a list tonlib walks as a hash chain
                await wallet.send(ton.Transfer(dest=dest, value=value))
        synthetic.rotate_validators(ValidatorKeys.generate(5, [1, 2, 3, 4, 5]))
        await producer.wait_block()
        await producer.wait_block()
        tonlib = TonlibClient(LIB)
        try:
            assert (await tonlib.init(config))["@type"] == "options.info"
            yield Fake(chain, producer, handler, config, wallet, tonlib)
        finally:
            tonlib.close()
            nursery.cancel_scope.cancel()


def _error(answer: dict[str, Any]) -> str:
    assert answer["@type"] == "error", answer
    return answer["message"]


@pytest.mark.parametrize(
    "chain_options",
    [{}, {"signature_format": "simplex", "shuffle_validators": True}],
    ids=["ordinary", "simplex-shuffled"],
)
async def test_tonlib_accepts_the_fake_chain_and_its_proofs(chain_options: dict[str, Any]) -> None:
    async with fake_and_tonlib(**chain_options) as f:
        synced = await f.tonlib.request({"@type": "sync"})
        assert synced["@type"] == "ton.blockIdExt", synced
        seqno = synced["seqno"]
        key_blocks = f.producer.synthetic.key_blocks
        assert len(key_blocks) == 2 and seqno >= key_blocks[-1]  # across the new validator set
        assert f.producer.synthetic.mc_blocks[seqno - 1].id.root_hash.hex() == (
            _b64(synced["root_hash"]).hex()
        )
        address = {"account_address": f.wallet.address.to_str()}
        state = await f.tonlib.request({"@type": "raw.getAccountState", "account_address": address})
        assert state["@type"] == "raw.fullAccountState", state
        assert int(state["balance"]) == f.chain.state(f.wallet.address).balance
        txs = await f.tonlib.request(
            {
                "@type": "raw.getTransactions",
                "account_address": address,
                "from_transaction_id": state["last_transaction_id"],
            }
        )
        assert txs["@type"] == "raw.transactions", txs
        ours = f.chain.transactions(f.wallet.address)
        assert [int(t["transaction_id"]["lt"]) for t in txs["transactions"]] == [
            t.lt for t in reversed(ours)
        ]


async def test_tonlib_refuses_forged_signatures() -> None:
    async with fake_and_tonlib() as f:
        f.handler.faults.forge_signatures = True
        message = _error(await f.tonlib.request({"@type": "sync"}))
        assert "error checking signatures" in message and "Wrong signature" in message


async def test_tonlib_refuses_a_tampered_account_and_a_broken_transaction_list() -> None:
    async with fake_and_tonlib() as f:
        assert (await f.tonlib.request({"@type": "sync"}))["@type"] == "ton.blockIdExt"
        address = {"account_address": f.wallet.address.to_str()}
        good = await f.tonlib.request({"@type": "raw.getAccountState", "account_address": address})
        f.handler.faults.tamper_accounts.add(f.wallet.address.hash_part)
        message = _error(
            await f.tonlib.request({"@type": "raw.getAccountState", "account_address": address})
        )
        assert "account state hash mismatch" in message
        f.handler.faults.break_transactions.add(f.wallet.address.hash_part)
        answer = await f.tonlib.request(
            {
                "@type": "raw.getTransactions",
                "account_address": address,
                "from_transaction_id": good["last_transaction_id"],
            }
        )
        # The list with its second transaction left out: the third does not link up.
        assert len(f.chain.transactions(f.wallet.address)) == 3
        assert "transaction hash mismatch" in _error(answer)


def _b64(text: str) -> bytes:
    import base64

    return base64.b64decode(text)
