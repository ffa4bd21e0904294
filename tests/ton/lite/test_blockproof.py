"""Block proof chains (`cocoon.ton.lite.blockproof`): the synthetic masterchain signed by its
validators, proven from key block to key block as TON's liteserver builds the chain, through
the strict TL codec; every forged or broken link refused."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cocoon.ton.lite import tl
from cocoon.ton.lite import validators as v
from cocoon.ton.lite.blockproof import (
    backward_link,
    check_block_proof,
    forward_link,
    prove_block_chain,
)
from cocoon.ton.lite.blocks import BlockId, SyntheticChain, ValidatorKeys
from cocoon.ton.lite.errors import LiteProofError
from cocoon.ton.lite.merkle import from_boc_multi, to_boc_multi
from cocoon.ton.lite.proofs import block_header_proof

NOW = 1_800_000_000
_FIVE = ValidatorKeys.generate(5, [5, 5, 5, 1, 1])
NEW_SET = ValidatorKeys(_FIVE.keys, _FIVE.weights, main=3)  # validators 3 and 4 sign no mc block


def make_chain(**kwargs: Any) -> SyntheticChain:
    """Key blocks 1, 3 (a new set of 5 with 3 main), 5 (the same set again), head 7."""
    chain = SyntheticChain(validators=ValidatorKeys.generate(4, [4, 3, 2, 1]), **kwargs)
    chain.advance([], NOW)
    chain.advance([], NOW + 1)
    chain.rotate_validators(NEW_SET)
    for i in range(2, 7):
        if i == 4:
            chain.rotate_validators()
        chain.advance([], NOW + i)
    assert chain.key_blocks == [1, 3, 5]
    return chain


def wire(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer as a client reads it: encoded and decoded with lite_api's schema."""
    data = tl.encode("liteServer.partialBlockProof", answer)
    return tl.decode(data, "liteServer.PartialBlockProof")


def ids(chain: SyntheticChain, *seqnos: int) -> list[BlockId]:
    return [chain.mc_blocks[s - 1].id for s in seqnos]


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"signature_format": "simplex"}, {"shuffle_validators": True}],
    ids=["ordinary", "simplex", "shuffled"],
)
def test_a_chain_of_key_blocks_proves_the_head(kwargs: dict[str, Any]) -> None:
    chain = make_chain(**kwargs)
    first, head = chain.mc_blocks[0].id, chain.head.id
    answer = wire(prove_block_chain(chain, first, head))
    assert [(s["@type"], s["to"]["seqno"]) for s in answer["steps"]] == [
        ("liteServer.blockLinkForward", 3),
        ("liteServer.blockLinkForward", 5),
        ("liteServer.blockLinkForward", 7),
    ]
    proven = check_block_proof(answer, first, target=head)
    assert (proven.to, proven.complete, proven.links) == (head, True, 3)
    assert proven.key_block == chain.mc_blocks[4].id
    assert proven.to_header is not None and proven.to_header.gen_utime == NOW + 6
    # From a later key block: one link.
    again = check_block_proof(
        wire(prove_block_chain(chain, proven.key_block, head)), proven.key_block
    )
    assert (again.to, again.links, again.key_block) == (head, 1, None)


def test_a_chain_from_a_block_that_is_no_key_block_goes_back_first() -> None:
    chain = make_chain()
    b4, b2, head = ids(chain, 4, 2, 7)
    answer = wire(prove_block_chain(chain, b4, head))
    assert [(s["@type"][-4:], s["to"]["seqno"]) for s in answer["steps"]] == [
        ("Back", 3),
        ("ward", 5),
        ("ward", 7),
    ]
    assert check_block_proof(answer, b4).to == head
    back = check_block_proof(wire(prove_block_chain(chain, b4, b2)), b4, target=b2)
    assert (back.to, back.key_block) == (b2, None)


def test_an_incomplete_chain_is_followed_from_its_last_key_block() -> None:
    chain = make_chain()
    first, head = chain.mc_blocks[0].id, chain.head.id
    part = check_block_proof(wire(prove_block_chain(chain, first, head, max_links=2)), first)
    assert (part.complete, part.to.seqno, part.key_block.seqno) == (False, 5, 5)
    rest = check_block_proof(wire(prove_block_chain(chain, part.key_block, head)), part.key_block)
    assert rest.complete and rest.to == head


def _proof(chain: SyntheticChain, *seqnos: int) -> tuple[dict[str, Any], BlockId]:
    first = chain.mc_blocks[seqnos[0] - 1].id
    return wire(prove_block_chain(chain, first, chain.mc_blocks[seqnos[1] - 1].id)), first


def _refused(answer: dict[str, Any], known: BlockId, message: str) -> None:
    with pytest.raises(LiteProofError, match=message):
        check_block_proof(answer, known)


def test_a_forged_signature_is_refused() -> None:
    chain = make_chain()
    answer, first = _proof(chain, 1, 7)
    sig = answer["steps"][1]["signatures"]["signatures"][0]
    sig["signature"] = bytes([sig["signature"][0] ^ 1]) + sig["signature"][1:]
    _refused(answer, first, r"link 2 \(3 -> 5\): signatures of block 5: a forged signature")


def test_too_little_weight_is_refused() -> None:
    chain = make_chain()
    answer, first = _proof(chain, 1, 7)
    sigs = answer["steps"][0]["signatures"]["signatures"]
    # Block 3 is signed by the first set (weights 4, 3, 2, 1): 4 and 2 make 6 of 10.
    del sigs[3], sigs[1]
    _refused(answer, first, "signatures of 6 of the validators' 10 weight: not more than 2/3")


def test_a_signature_of_an_unknown_validator_is_refused() -> None:
    chain = make_chain()
    answer, first = _proof(chain, 1, 7)
    stranger = ValidatorKeys.generate(1)
    fake = SyntheticChain(validators=stranger)
    fake.advance([], NOW)
    sigs = answer["steps"][2]["signatures"]["signatures"]
    sigs.append({"node_id_short": fake.signatures[1].signatures[0][0], "signature": bytes(64)})
    _refused(answer, first, "not a validator of the set")


def test_a_signature_by_a_validator_outside_the_main_ones_is_refused() -> None:
    chain = make_chain()  # from key block 3 on: 5 validators, the first 3 sign the masterchain
    answer, first = _proof(chain, 3, 7)
    sigs = answer["steps"][0]["signatures"]["signatures"]
    assert len(sigs) == 3
    block = chain.mc_blocks[4].id
    outsider = NEW_SET.keys[3]
    signed = v.sign_block(
        [outsider], [], 0, v.CandidateBlock(-1, -(2**63), 5, block.root_hash, block.file_hash)
    )
    sigs.append({"node_id_short": signed.signatures[0][0], "signature": signed.signatures[0][1]})
    _refused(answer, first, "not a validator of the set")


def test_a_link_skipping_a_key_block_is_refused_even_with_good_signatures() -> None:
    # Key block 5 keeps block 3's set: its signatures on block 7 would check from block 3.
    chain = make_chain()
    k3, k5, head = chain.mc_blocks[2], chain.mc_blocks[4], chain.head
    skipping = forward_link(chain, k3, head)
    answer = wire(
        {"@type": "liteServer.partialBlockProof", "complete": True, "from": k3.id.to_tl(),
         "to": head.id.to_tl(), "steps": [skipping]}
    )  # fmt: skip
    _refused(answer, k3.id, "previous key block is 5: it skips a key block")
    # And across a change of validators (key block 3 brings a new set): refused too.
    k1 = chain.mc_blocks[0]
    answer = wire(
        {"@type": "liteServer.partialBlockProof", "complete": True, "from": k1.id.to_tl(),
         "to": k5.id.to_tl(), "steps": [forward_link(chain, k1, k5)]}
    )  # fmt: skip
    _refused(answer, k1.id, "skips a key block")


def test_a_forward_link_from_a_block_that_is_no_key_block_is_refused() -> None:
    chain = make_chain()
    b2, k3 = chain.mc_blocks[1], chain.mc_blocks[2]
    link = forward_link(chain, chain.mc_blocks[0], k3)
    link["from"] = b2.id.to_tl()
    link["config_proof"] = to_boc_multi([block_header_proof(b2.root)])
    answer = wire(
        {"@type": "liteServer.partialBlockProof", "complete": True, "from": b2.id.to_tl(),
         "to": k3.id.to_tl(), "steps": [link]}
    )  # fmt: skip
    _refused(answer, b2.id, "not a key block")


def test_a_tampered_header_is_refused() -> None:
    chain = make_chain()
    answer, first = _proof(chain, 1, 7)
    # The head's header proof replaced by block 6's: it does not hash to block 7's id.
    answer["steps"][2]["dest_proof"] = to_boc_multi([block_header_proof(chain.mc_blocks[5].root)])
    _refused(answer, first, "proves hash")
    # A header cell altered in place: its proof no longer hashes to the id either.
    answer, first = _proof(chain, 1, 7)
    (proof,) = from_boc_multi(answer["steps"][0]["config_proof"], "p")
    answer["steps"][0]["config_proof"] = to_boc_multi([_flip_a_bit(proof)])
    _refused(answer, first, "Merkle proof does not hash|proves hash")


def _flip_a_bit(proof_cell):
    from pytoniq_core import Cell

    inner = proof_cell.refs[0]
    info = inner.refs[0]
    bits = info.bits.copy()
    bits[200] = not bits[200]
    new_info = Cell(bits, info.refs, info.type_)
    new_inner = Cell(inner.bits, [new_info, *inner.refs[1:]], inner.type_)
    return Cell(proof_cell.bits, [new_inner], proof_cell.type_)


def test_a_backward_link_to_a_block_the_state_does_not_list_is_refused() -> None:
    chain = make_chain()
    other = make_chain()
    b4 = chain.mc_blocks[3]
    link = backward_link(chain, b4, chain.mc_blocks[2])
    link["to"] = other.mc_blocks[2].id.to_tl()
    link["dest_proof"] = to_boc_multi([block_header_proof(other.mc_blocks[2].root)])
    answer = wire(
        {"@type": "liteServer.partialBlockProof", "complete": True, "from": b4.id.to_tl(),
         "to": link["to"], "steps": [link]}
    )  # fmt: skip
    _refused(answer, b4.id, "does not list block 3")


def test_a_chain_must_start_at_the_known_block_and_be_contiguous() -> None:
    chain = make_chain()
    answer, first = _proof(chain, 1, 7)
    _refused(answer, chain.mc_blocks[2].id, "starts from another block")
    broken = copy.deepcopy(answer)
    del broken["steps"][1]
    _refused(broken, first, r"link 2 \(5 -> 7\) does not start where the chain is")
    short = copy.deepcopy(answer)
    short["to"] = chain.mc_blocks[5].id.to_tl()
    _refused(short, first, "ends at another block")
