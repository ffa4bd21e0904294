"""The liteserver TL codec: ids agree with pytoniq-core's generator and TON's published bytes;
decoding is strict."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytoniq_core
from pytoniq_core.tl.generator import TlGenerator

from cocoon.tl.errors import TLEncodeError
from cocoon.ton.lite import tl
from cocoon.ton.lite.errors import LiteDecodeError

SCHEMAS = Path(pytoniq_core.__file__).parent / "tl" / "schemas"
BLOCK = {
    "workchain": -1,
    "shard": -(2**63),
    "seqno": 7,
    "root_hash": bytes(range(32)),
    "file_hash": bytes(range(32, 64)),
}


def test_every_id_matches_pytoniq_core_generator() -> None:
    theirs = TlGenerator(str(SCHEMAS / "lite_api.tl")).generate()
    theirs_ton = TlGenerator(str(SCHEMAS / "ton_api.tl")).generate()
    reg = tl.registry()
    assert len(reg.by_name) > 90
    for name, c in reg.by_name.items():
        schema = theirs.get_by_name(name) or theirs_ton.get_by_name(name)
        assert schema is not None, name
        assert int.from_bytes(schema.id, "big") == c.id, name


@pytest.mark.parametrize(
    ("name", "wire_id"),
    [
        # Little-endian wire bytes as TON's "ADNL TCP - Liteserver" page writes them.
        ("adnl.message.query", "7af98bb4"),
        ("adnl.message.answer", "1684ac0f"),
        ("liteServer.query", "df068c79"),
        ("liteServer.getMasterchainInfo", "2ee6b589"),
        ("liteServer.getTime", "345aad16"),
        ("tcp.ping", "9a2b084d"),
        ("tcp.pong", "03fb69dc"),
        ("pub.ed25519", "c6b41348"),
    ],
)
def test_known_wire_ids(name: str, wire_id: str) -> None:
    assert tl.encode(name, _zero_fields(name))[:4].hex() == wire_id


def _zero_fields(name: str) -> dict:
    return {
        "tcp.ping": {"random_id": 0},
        "tcp.pong": {"random_id": 0},
        "pub.ed25519": {"key": bytes(32)},
        "adnl.message.query": {"query_id": bytes(32), "query": b""},
        "adnl.message.answer": {"query_id": bytes(32), "answer": b""},
        "liteServer.query": {"data": b""},
    }.get(name, {})


def test_get_time_query_matches_the_published_bytes() -> None:
    # The getTime example of TON's ADNL TCP documentation, query id included.
    published = bytes.fromhex(
        "7af98bb435263e6c95d6fecb497dfd0aa5f031e7d412986b5ce720496db512052e8f2d10"
        "0cdf068c7904345aad16000000000000"
    )
    query_id = published[4:36]
    inner = tl.encode("liteServer.query", {"data": tl.encode("liteServer.getTime")})
    ours = tl.encode("adnl.message.query", {"query_id": query_id, "query": inner})
    assert ours == published
    decoded = tl.decode(published, "adnl.Message")
    assert decoded["query_id"] == query_id
    assert tl.decode_query(tl.decode(decoded["query"], "liteServer.query")["data"]) == (
        [],
        {"@type": "liteServer.getTime"},
    )


def test_round_trip_with_nested_bare_and_vector() -> None:
    answer = {
        "@type": "liteServer.transactionList",
        "ids": [BLOCK, {**BLOCK, "seqno": 8}],
        "transactions": b"\xb5\xee\x9c\x72" + bytes(300),
    }
    data = tl.encode("liteServer.transactionList", answer)
    decoded = tl.decode(data, "liteServer.TransactionList")
    assert decoded["transactions"] == answer["transactions"]
    assert [b["seqno"] for b in decoded["ids"]] == [7, 8]
    assert decoded["ids"][0]["root_hash"] == BLOCK["root_hash"]


def test_flags_computed_checked_and_read_back() -> None:
    without = tl.encode("liteServer.getBlockProof", {"known_block": BLOCK})
    assert tl.decode_query(without)[1]["mode"] == 0
    assert tl.decode_query(without)[1]["target_block"] is None
    with_target = tl.encode(
        "liteServer.getBlockProof", {"known_block": BLOCK, "target_block": BLOCK}
    )
    assert tl.decode_query(with_target)[1]["mode"] == 1
    # Bits that guard no field are kept as given.
    kept = tl.encode("liteServer.getBlockProof", {"mode": 0x1000, "known_block": BLOCK})
    assert tl.decode_query(kept)[1]["mode"] == 0x1000
    with pytest.raises(TLEncodeError):
        tl.encode("liteServer.getBlockProof", {"mode": 1, "known_block": BLOCK})
    with pytest.raises(TLEncodeError):
        tl.encode(
            "liteServer.getBlockProof", {"mode": 0, "known_block": BLOCK, "target_block": BLOCK}
        )


def test_true_flags() -> None:
    data = tl.encode(
        "liteServer.listBlockTransactions",
        {"id": BLOCK, "count": 5, "want_proof": True, "reverse_order": False},
    )
    query = tl.decode_query(data)[1]
    assert query["mode"] == 1 << 5
    assert query["want_proof"] is True
    assert query["reverse_order"] is False


def test_boxed_field_of_a_type() -> None:
    link = {
        "@type": "liteServer.blockLinkBack",
        "to_key_block": False,
        "from": BLOCK,
        "to": BLOCK,
        "dest_proof": b"d",
        "proof": b"p",
        "state_proof": b"s",
    }
    data = tl.encode(
        "liteServer.partialBlockProof",
        {"complete": True, "from": BLOCK, "to": BLOCK, "steps": [link]},
    )
    decoded = tl.decode(data, "liteServer.PartialBlockProof")
    assert decoded["steps"][0]["@type"] == "liteServer.blockLinkBack"
    assert decoded["steps"][0]["proof"] == b"p"


def test_decoding_is_strict() -> None:
    good = tl.encode("liteServer.currentTime", {"now": 1234})
    assert tl.decode(good, "liteServer.CurrentTime")["now"] == 1234
    with pytest.raises(LiteDecodeError, match="trailing"):
        tl.decode(good + b"\0\0\0\0", "liteServer.CurrentTime")
    with pytest.raises(LiteDecodeError, match="not enough"):
        tl.decode(good[:-1], "liteServer.CurrentTime")
    with pytest.raises(LiteDecodeError, match=r"liteServer\.currentTime where"):
        tl.decode(good, "liteServer.MasterchainInfo")
    with pytest.raises(LiteDecodeError, match="id 01020304"):
        tl.decode(b"\x04\x03\x02\x01", "liteServer.CurrentTime")
    # A vector count that cannot fit in what is left.
    huge = tl.encode("liteServer.transactionList", {"ids": [], "transactions": b""})
    huge = huge[:4] + (10**6).to_bytes(4, "little") + huge[8:]
    with pytest.raises(LiteDecodeError, match="cannot fit"):
        tl.decode(huge, "liteServer.TransactionList")


def test_query_with_unknown_function() -> None:
    with pytest.raises(LiteDecodeError):
        tl.decode_query(tl.encode("liteServer.currentTime", {"now": 1}))


def test_encoding_errors_name_the_field() -> None:
    with pytest.raises(TLEncodeError, match="seqno"):
        tl.encode("liteServer.getBlockHeader", {"id": {**BLOCK, "seqno": "x"}, "mode": 0})
    with pytest.raises(TLEncodeError, match="missing"):
        tl.encode("liteServer.getBlockHeader", {"mode": 0})
    with pytest.raises(TLEncodeError, match="unknown"):
        tl.encode("liteServer.noSuchThing")
