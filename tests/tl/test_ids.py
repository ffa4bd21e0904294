"""Constructor ids: every declaration of spec 10 section 2.8, and the CRC-32 rule of 2.7."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cocoon import tl
from cocoon.tl.schema import (
    SchemaError,
    cocoon_schema,
    crc_id,
    extension_schema,
    normalize,
    parse_schema,
    reference_schema,
)

# Spec 10 section 2.8, in schema order: (name, id).
SPEC_IDS = [
    ("int", 0xA8509BDA),
    ("long", 0x22076CBA),
    ("double", 0x2210C154),
    ("string", 0xB5286E24),
    ("object", 0x29704CA0),
    ("function", 0x7ACBC197),
    ("bytes", 0x184614D1),
    ("true", 0x3FEDD339),
    ("boolTrue", 0x997275B5),
    ("boolFalse", 0xBC799737),
    ("vector", 0x1CB5C415),
    ("int128", 0x84CCF7B7),
    ("int256", 0x7BEDEB5B),
    ("tcp.ping", 0xBBE9627C),
    ("tcp.pong", 0x0BD4302C),
    ("tcp.packet", 0x9C17BAF8),
    ("tcp.queryAnswer", 0xC048C311),
    ("tcp.queryError", 0x4CD2F602),
    ("tcp.query", 0x3AF51908),
    ("tcp.connected", 0x636D41D6),
    ("tcp.connect", 0xA57C4261),
    ("ton.blockIdExt", 0xBC3F6DA5),
    ("test.answer", 0x0D4FCDB6),
    ("test.query", 0x394E9143),
    ("proxyRunner.config", 0x5BF5E272),
    ("workerRunner.config", 0x870DB56D),
    ("clientRunner.config", 0xAF0BD51F),
    ("keyStorageRunner.config", 0xD7874E40),
    ("rootConfig.registeredProxy", 0x9F4E446A),
    ("rootConfig.pseudo", 0x87A976CC),
    ("rootConfig.configV5", 0x5E84869B),
    ("proxyDb.clientInfo", 0x6CFEAA21),
    ("proxyDb.clientInfoV2", 0x3078C9BF),
    ("proxyDb.workerInfo", 0x2517B38F),
    ("proxyDb.pendingBlockchainSeqnoCommit", 0x525B14A9),
    ("proxyDb.configEmpty", 0x43DC40B4),
    ("proxyDb.configV4", 0xBDE43703),
    ("proxyDb.configV4Disabled", 0xAD2CFB4A),
    ("proxyDb.oldClient", 0x2FAE7B42),
    ("proxyDb.oldWorker", 0xF04156A0),
    ("proxyDb.oldInstance", 0xA8C9E178),
    ("keyManagerDb.configEmpty", 0xD3FC2385),
    ("keyManagerDb.configV1", 0x6D2817AC),
    ("keyManagerDb.key", 0x4D0A1E17),
    ("tokensUsed", 0x70C5B15C),
    ("worker.params", 0x869C73ED),
    ("proxy.params", 0xD5C5609F),
    ("client.params", 0x40FDCA64),
    ("client.proxyConnectionAuthShort", 0xD6FFC5AF),
    ("client.proxyConnectionAuthLong", 0x417BF016),
    ("client.authorizationWithProxySuccess", 0x75D5AC34),
    ("client.authorizationWithProxyFailed", 0x60551C96),
    ("client.connectedToProxy", 0x95317AD1),
    ("client.queryAnswer", 0x9B943922),
    ("client.queryAnswerError", 0x6D60569A),
    ("client.queryAnswerPart", 0xB765DE4C),
    ("client.queryAnswerPartError", 0xD790A022),
    ("client.queryFinalInfo", 0x69A452F0),
    ("client.queryAnswerEx", 0xCD524720),
    ("client.queryAnswerErrorEx", 0x072562A8),
    ("client.queryAnswerPartEx", 0xC07BFAEC),
    ("client.refund", 0x83AABEAD),
    ("client.refundRejected", 0xCF9D9957),
    ("client.workerType", 0x8210E21C),
    ("client.workerTypes", 0xF64E0E01),
    ("client.workerInstanceV2", 0x3EA93D00),
    ("client.workerTypeV2", 0xB27D8197),
    ("client.workerTypesV2", 0x0CF0DC67),
    ("client.paymentStatus", 0xAA8A0ECC),
    ("proxy.clientRequestPayment", 0xC6BCF127),
    ("client.connectToProxy", 0xFF5FA0F4),
    ("client.authorizeWithProxyShort", 0x6C276723),
    ("client.authorizeWithProxyLong", 0xD3474303),
    ("client.runQuery", 0xBC748F32),
    ("client.runQueryEx", 0xF54CB74B),
    ("client.requestRefund", 0x238D863D),
    ("client.updatePaymentStatus", 0x9ED1C697),
    ("client.getWorkerTypes", 0x7F062BDB),
    ("client.getWorkerTypesV2", 0xB2133D72),
    ("proxy.signedPayment", 0x02998182),
    ("proxy.signedPaymentEmpty", 0xB347CE64),
    ("proxy.queryAnswer", 0x37E5F725),
    ("proxy.queryAnswerError", 0x669D014E),
    ("proxy.queryAnswerPart", 0x72EB00EE),
    ("proxy.queryAnswerPartError", 0x940E1168),
    ("proxy.queryFinalInfo", 0xE794E6FC),
    ("proxy.queryAnswerEx", 0x1CE574E8),
    ("proxy.queryAnswerErrorEx", 0x8F7FB0A7),
    ("proxy.queryAnswerPartEx", 0x6D85B50F),
    ("proxy.workerRequestPayment", 0x1436C0D5),
    ("proxy.runQuery", 0x47182416),
    ("proxy.runQueryEx", 0xC805E7E2),
    ("worker.enabledDisabled", 0xB3B71039),
    ("worker.newCoefficient", 0x6AF092B0),
    ("worker.connectedToProxy", 0x66BC82EE),
    ("worker.compareBalanceWithProxyResult", 0x9054C411),
    ("worker.extendedCompareBalanceWithProxyResult", 0x0C10973E),
    ("worker.proxyHandshakeCompleted", 0x3AD9B886),
    ("worker.paymentStatus", 0xA88BD701),
    ("worker.connectToProxy", 0xCC484C5D),
    ("worker.compareBalanceWithProxy", 0xDB386501),
    ("worker.extendedCompareBalanceWithProxy", 0xF8DD9914),
    ("worker.proxyHandshakeComplete", 0xF843B066),
    ("worker.updatePaymentStatus", 0xDC70A524),
    ("keyManager.privateKey", 0x60F4F8E7),
    ("keyManager.privateKeys", 0x0ED66CE5),
    ("keyManager.getWorkerPrivateKeys", 0x2A26EFF5),
    ("keyManager.getProxyPrivateKeys", 0x47A9C2DE),
    ("http.header", 0x8E9BE511),
    ("http.response", 0x1CD0C42B),
    ("http.request", 0x47492DE5),
]


def test_schema_declares_exactly_the_spec_table_in_order():
    assert [(c.name, c.id) for c in reference_schema()] == SPEC_IDS


def test_extensions_are_separate_and_collide_with_nothing():
    ext = extension_schema()
    assert [c.name for c in ext] == ["cocoonExt.cancelQuery"]
    assert all(c.name.startswith("cocoonExt.") for c in ext)
    ids = {cid for _, cid in SPEC_IDS}
    assert not any(c.id in ids for c in ext)
    assert cocoon_schema() == reference_schema() + ext
    out = subprocess.run(
        [sys.executable, "-m", "cocoon.tl", "ids", "--extensions"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.splitlines() == [f"{c.name} {c.id:08x}" for c in ext]


def test_cli_prints_every_declaration_with_its_id():
    out = subprocess.run(
        [sys.executable, "-m", "cocoon.tl", "ids"], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines() == [f"{name} {cid:08x}" for name, cid in SPEC_IDS]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tcp.connect id:long = tcp.Packet", 0xA57C4261),
        ("vector {t:Type} # [ t ] = Vector t", 0x1CB5C415),
        ("int256 8*[ int ] = Int256", 0x7BEDEB5B),
        ("client.workerTypes types:(vector client.workerType) = client.WorkerTypes", 0xF64E0E01),
        (
            "client.runQueryEx model_name:string query:bytes max_coefficient:int max_tokens:int\n"
            "    timeout:double request_id:int256 min_config_version:int flags:#\n"
            "    enable_debug:flags.0?Bool = client.QueryAnswerEx",
            0xF54CB74B,
        ),
        (
            "http.request method:string url:string http_version:string "
            "headers:(vector http.header) payload:bytes = http.Response",
            0x47492DE5,
        ),
    ],
)
def test_crc_of_normalised_declaration(text, expected):
    assert crc_id(normalize(text)) == expected


def test_parentheses_are_deleted_not_replaced():
    assert normalize("a x:(vector int) = A") == "a x:vector int = A"


@pytest.mark.parametrize(
    ("name", "explicit", "crc"),
    [
        ("worker.params", 0x869C73ED, 0x1E0A3348),
        ("proxy.params", 0xD5C5609F, 0x255D81FA),
        ("client.params", 0x40FDCA64, 0x1E80C9D3),
        ("client.workerInstanceV2", 0x3EA93D00, 0x7ABFE18C),
    ],
)
def test_explicit_ids_override_the_crc(name, explicit, crc):
    (decl,) = [c for c in cocoon_schema() if c.name == name]
    assert decl.explicit_id and decl.id == explicit
    assert crc_id(decl.normalized) == crc
    assert tl.BY_NAME[name].TL_ID == explicit


def test_every_generated_class_carries_its_schema_id():
    by_name = {c.name: c for c in cocoon_schema()}
    assert len(tl.ALL_CLASSES) == len([c for c in cocoon_schema() if not c.is_builtin])
    for cls in tl.ALL_CLASSES:
        assert cls.TL_ID == by_name[cls.TL_NAME].id
    assert len(tl.BY_ID) == len(tl.ALL_CLASSES)  # no two constructors share an id


def test_committed_types_module_is_generated_from_the_schema():
    from importlib import resources

    from cocoon.tl.generate import generate_module

    committed = resources.files("cocoon.tl").joinpath("types.py").read_text()
    assert committed == generate_module(), "run `python -m cocoon.tl generate`"


@pytest.mark.parametrize(
    "bad",
    [
        "a x:int",  # no result type
        "a#xyz x:int = A",  # explicit id not hex
        "a x:flags.0?int = A",  # flag field without its # field
        "a = A; a = B",  # duplicate name
    ],
)
def test_malformed_schema_text_is_rejected(bad):
    with pytest.raises(SchemaError):
        parse_schema(bad)
