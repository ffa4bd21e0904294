"""Byte-exact encodings: spec 10 section 2 primitives and every vector of appendix A."""

from __future__ import annotations

import pytest

from cocoon import tl
from cocoon.net.framing import encode_frame


def h(text: str) -> bytes:
    return bytes.fromhex("".join(text.split()))


def roundtrip(obj: tl.TLObject, expected: bytes) -> None:
    assert tl.encode(obj) == expected
    assert tl.decode(expected) == obj


def test_tcp_connect_frame():
    data = tl.encode(tl.TcpConnect(id=0x0102030405060708))
    assert encode_frame(0, data) == h("0c000000 00000000 61427ca5 08070605 04030201")


def test_tcp_connected_frame():
    data = tl.encode(tl.TcpConnected(id=0x0102030405060708))
    assert encode_frame(0, data) == h("0c000000 00000000 d6416d63 08070605 04030201")


def test_query_for_worker_types_v2_frame():
    inner = tl.encode(tl.ClientGetWorkerTypesV2())
    data = tl.encode(tl.TcpQuery(id=1, data=inner))
    assert encode_frame(1, data) == h(
        "14000000 01000000 0819f53a 01000000 00000000 04723d13 b2000000"
    )


CONNECT_TO_PROXY = h(
    """f4a05fff 03000000 30555141 757a3135 48315a48 725a5f70 73567241 72613748 65616c4d
    49566546 71307767 75716c6d 466e6f31 6633422d 6d000000 379779bc 01000000 02000000 05000000"""
)


def test_client_connect_to_proxy():
    obj = tl.ClientConnectToProxy(
        params=tl.ClientParams(
            client_owner_address="UQAuz15H1ZHrZ_psVrAra7HealMIVeFq0wguqlmFno1f3B-m",
            is_test=False,
            min_proto_version=1,
            max_proto_version=2,
        ),
        min_config_version=5,
    )
    assert obj.params.flags == 3  # computed from the fields present
    assert len(CONNECT_TO_PROXY) == 76
    roundtrip(obj, CONNECT_TO_PROXY)


HTTP_REQUEST = h(
    """e52d4947 04504f53 54000000 142f7631 2f636861 742f636f 6d706c65 74696f6e 73000000
    08485454 502f312e 31000000 02000000 0c436f6e 74656e74 2d547970 65000000 10617070
    6c696361 74696f6e 2f6a736f 6e000000 0e436f6e 74656e74 2d4c656e 67746800 01320000
    027b7d00"""
)
REQUEST_OBJ = tl.HttpRequest(
    method="POST",
    url="/v1/chat/completions",
    http_version="HTTP/1.1",
    headers=[
        tl.HttpHeader(name="Content-Type", value="application/json"),
        tl.HttpHeader(name="Content-Length", value="2"),
    ],
    payload=b"{}",
)


def test_http_request():
    assert len(HTTP_REQUEST) == 112
    roundtrip(REQUEST_OBJ, HTTP_REQUEST)


def test_client_run_query_ex():
    expected = h(
        """4bb74cf5 0f517765 6e2f5177 656e332d 302e3642 70e52d49 4704504f 53540000 00142f76
        312f6368 61742f63 6f6d706c 6574696f 6e730000 00084854 54502f31 2e310000 00020000
        000c436f 6e74656e 742d5479 70650000 00106170 706c6963 6174696f 6e2f6a73 6f6e0000
        000e436f 6e74656e 742d4c65 6e677468 00013200 00027b7d 00000000 a00f0000 e8030000
        00000000 00805c40 00010203 04050607 08090a0b 0c0d0e0f 10111213 14151617 18191a1b
        1c1d1e1f 05000000 01000000 379779bc"""
    )
    obj = tl.ClientRunQueryEx(
        model_name="Qwen/Qwen3-0.6B",
        query=tl.encode(REQUEST_OBJ),
        max_coefficient=4000,
        max_tokens=1000,
        timeout=114.0,
        request_id=bytes(range(32)),
        min_config_version=5,
        enable_debug=False,
    )
    assert len(expected) == 196
    roundtrip(obj, expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"", "00000000"),
        (b"a", "01610000"),
        (b"abc", "03616263"),
        (b"abcd", "04616263 64000000"),
    ],
)
def test_bytes_padding(value, expected):
    w = tl.Writer()
    w.bytes(value)
    assert w.getvalue() == h(expected)


@pytest.mark.parametrize(
    ("n", "total"), [(253, 256), (254, 260), (255, 260), (256, 260), (1000, 1004)]
)
def test_long_bytes_forms(n, total):
    w = tl.Writer()
    w.bytes(b"x" * n)
    out = w.getvalue()
    assert len(out) == total
    if n >= 254:
        assert out[:4] == bytes([0xFE]) + n.to_bytes(3, "little")
    r = tl.Reader(out)
    assert r.bytes() == b"x" * n
    r.finish()


def test_bool_double_and_raw_encodings():
    w = tl.Writer()
    w.bool(True)
    w.bool(False)
    w.double(114.0)
    w.raw(bytes(range(32)), 32)
    assert w.getvalue() == h("b5757299 379779bc 00000000 00805c40") + bytes(range(32))


def test_bare_fields_carry_no_constructor_id():
    # client.connectedToProxy: bare proxy.params, boxed auth, boxed signed payment (spec 2.3).
    obj = tl.ClientConnectedToProxy(
        params=tl.ProxyParams(
            proxy_public_key=bytes(32),
            proxy_owner_address="a",
            proxy_sc_address="b",
            is_test=True,
            proto_version=2,
        ),
        client_sc_address="c",
        auth=tl.ClientProxyConnectionAuthLong(nonce=7),
        signed_payment=tl.ProxySignedPaymentEmpty(),
    )
    data = tl.encode(obj)
    assert data[4:8] == h("03000000")  # params' flags follow the outer id directly
    assert tl.ProxyParams.TL_ID.to_bytes(4, "little") not in data
    assert tl.ClientProxyConnectionAuthLong.TL_ID.to_bytes(4, "little") in data
    assert data.endswith(tl.ProxySignedPaymentEmpty.TL_ID.to_bytes(4, "little"))
    assert tl.decode(data) == obj


def test_vectors_are_bare_without_the_vector_id():
    obj = tl.ClientWorkerTypesV2(
        types=[
            tl.ClientWorkerTypeV2(
                name="m",
                workers=[
                    tl.ClientWorkerInstanceV2(
                        coefficient=1000, active_requests=1, max_active_requests=8
                    )
                ],
            )
        ]
    )
    data = tl.encode(obj)
    assert data == h("67dcf00c 01000000 016d0000 01000000 00000000 e8030000 01000000 08000000")
    assert tl.decode(data) == obj


def test_flag_groups_are_all_or_nothing():
    with pytest.raises(tl.TLEncodeError):
        tl.WorkerParams(
            worker_owner_address="a", model="m", coefficient=1, is_test=True, proxy_cnt=1
        )  # max_active_requests shares bit 0
    with pytest.raises(tl.TLEncodeError):
        tl.ClientParams(flags=1, client_owner_address="a")  # bit 0 set, is_test missing


def test_flag_bits_without_fields_are_preserved():
    obj = tl.ClientRunQueryEx(
        model_name="m",
        query=b"",
        max_coefficient=1,
        max_tokens=1,
        timeout=1.0,
        request_id=bytes(32),
        min_config_version=0,
        flags=4,
    )
    assert tl.decode(tl.encode(obj)).flags == 4


@pytest.mark.parametrize(
    "make",
    [
        lambda: tl.TcpPing(id=1 << 63),  # long out of range
        lambda: tl.TcpQueryError(id=1, code=1 << 31, message=""),
        lambda: tl.ClientRunQueryEx(
            model_name="m",
            query=b"",
            max_coefficient=1,
            max_tokens=1,
            timeout=1.0,
            request_id=bytes(31),
            min_config_version=0,
        ),  # int256 of 31 bytes
        lambda: tl.TcpPacket(data="text"),  # str where bytes are expected
        lambda: tl.ClientConnectedToProxy(
            params=tl.ProxyParams(
                proxy_public_key=bytes(32), proxy_owner_address="", proxy_sc_address=""
            ),
            client_sc_address="",
            auth=tl.ProxySignedPaymentEmpty(),  # wrong boxed type
            signed_payment=tl.ProxySignedPaymentEmpty(),
        ),
    ],
)
def test_values_that_do_not_fit_raise_encode_errors(make):
    with pytest.raises(tl.TLEncodeError):
        tl.encode(make())
