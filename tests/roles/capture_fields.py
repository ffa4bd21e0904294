"""Field-by-field comparison of a TL object our roles emit with the one the reference emitted in
the same place of the captured session (../shared/data/ref-wire).

Every field is compared by value unless `RULES` says why it naturally differs (a key, a
signature, a random id, a timestamp, a deployment's own address or configuration); such a
field is still compared by type or shape. TL objects carried in bytes fields (`http.request`
in a query, `http.response` in a first answer) are decoded and compared field by field too.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

from cocoon import tl
from cocoon.net.capture import CARRIED


def _same(ours: object, ref: object) -> str | None:
    return None if ours == ref else f"{ours!r} != reference {ref!r}"


def _type(ours: object, ref: object) -> str | None:
    return (
        None if type(ours) is type(ref) else f"type {type(ours).__name__} != {type(ref).__name__}"
    )


def _shape(ours: object, ref: object) -> str | None:
    """Same type, and for bytes the same length (keys, hashes, ids, signed payments)."""
    if type(ours) is not type(ref):
        return _type(ours, ref)
    if isinstance(ours, bytes) and len(ours) != len(ref):
        return f"{len(ours)} bytes != reference {len(ref)}"
    return None


def _address(ours: object, ref: object) -> str | None:
    """A user-friendly address of the same form: length, flags (bounceable, testnet), chain."""
    if not isinstance(ours, str) or not isinstance(ref, str) or len(ours) != len(ref):
        return f"{ours!r} is not an address like {ref!r}"
    a = base64.urlsafe_b64decode(ours)
    b = base64.urlsafe_b64decode(ref)
    if a[:2] != b[:2]:
        return f"flags/workchain {a[:2].hex()} != reference {b[:2].hex()} ({ours} vs {ref})"
    return None


def _time(ours: object, ref: object) -> str | None:
    if not isinstance(ours, float) or not isinstance(ref, float) or ours < 1e9:
        return f"{ours!r} is not a unix time like {ref!r}"
    return None


def _model(ours: object, ref: object) -> str | None:
    if not isinstance(ours, str) or ours.split("@")[0] != str(ref).split("@")[0]:
        return f"model {ours!r} != reference {ref!r} (base name)"
    return None


def _timestamp_text(value: str) -> bool:
    whole, _, frac = value.partition(".")
    return whole.isdigit() and len(frac) == 6 and frac.isdigit()


def _headers(names: Callable[[str], bool]) -> Callable[[object, object], str | None]:
    def check(ours: object, ref: object) -> str | None:
        ours_h = [(h.name, h.value) for h in ours]  # type: ignore[attr-defined]
        ref_h = [(h.name, h.value) for h in ref]  # type: ignore[attr-defined]
        mine = [(n, v) for n, v in ours_h if names(n)]
        theirs = [(n, v) for n, v in ref_h if names(n)]
        if [n for n, _ in mine] != [n for n, _ in theirs]:
            return f"headers {[n for n, _ in mine]} != reference {[n for n, _ in theirs]}"
        for n, v in mine:
            if n.lower().startswith("x-cocoon-") and not _timestamp_text(v):
                return f"header {n}: {v!r} is not a six-decimal unix time"
            if not n.lower().startswith("x-cocoon-") and v != dict(theirs)[n]:
                return f"header {n}: {v!r} != reference {dict(theirs)[n]!r}"
        return None

    return check


def _request_headers(ours: object, ref: object) -> str | None:
    """The caller's headers are forwarded as they came (curl's in the capture, httpx's here):
    the body's type and length must be there, with the same values."""
    want = {"content-type", "content-length"}
    mine = {h.name.lower(): h.value for h in ours if h.name.lower() in want}  # type: ignore[attr-defined]
    theirs = {h.name.lower(): h.value for h in ref if h.name.lower() in want}  # type: ignore[attr-defined]
    return None if mine == theirs else f"{mine} != reference {theirs}"


def _answer_flags(ours: object, ref: object) -> str | None:
    # Bit 0 (the last message) may differ: ours sends a small complete answer in one message
    # where the reference's worker always sends the head and the body apart.
    return _same(int(ours) & ~1, int(ref) & ~1)  # type: ignore[call-overload]


def _final_info(ours: object, ref: object) -> str | None:
    # Present iff the message is the last one; compared field by field where both are.
    if ours is None or ref is None:
        return None
    return "; ".join(diff(ours, ref)) or None  # type: ignore[arg-type]


def _json_body(ours: object, ref: object) -> str | None:
    if not isinstance(ours, bytes):
        return _type(ours, ref)
    try:
        json.loads(ours)
    except ValueError:
        return f"{ours[:60]!r} is not JSON"
    return None


SAME, TYPE, SHAPE = _same, _type, _shape

# (TL constructor, field) -> (how it is compared, why not by value).
RULES: dict[tuple[str, str], tuple[Callable[[object, object], str | None], str]] = {
    ("client.params", "client_owner_address"): (_address, "each deployment's own wallet"),
    ("worker.params", "worker_owner_address"): (_address, "each deployment's own wallet"),
    ("worker.params", "model"): (
        _model,
        "the reference's worker names its image's commit and verity hash after '@'",
    ),
    ("proxy.params", "proxy_public_key"): (SHAPE, "each proxy's own key"),
    ("proxy.params", "proxy_owner_address"): (_address, "each deployment's own wallet"),
    ("proxy.params", "proxy_sc_address"): (_address, "each deployment's own contract"),
    ("client.connectToProxy", "min_config_version"): (TYPE, "each chain's root config version"),
    ("client.runQueryEx", "min_config_version"): (TYPE, "each chain's root config version"),
    ("client.connectedToProxy", "client_sc_address"): (_address, "each deployment's contract"),
    ("worker.connectedToProxy", "worker_sc_address"): (_address, "each deployment's contract"),
    ("proxy.workerRequestPayment", "request_client_owner"): (_address, "each deployment's"),
    ("client.proxyConnectionAuthShort", "secret_hash"): (SHAPE, "each client's secret"),
    ("client.proxyConnectionAuthShort", "nonce"): (
        TYPE,
        "the capture ran with TON disabled (nonce 0); with a chain the reference sends the "
        "connecting nonce, as ours does",
    ),
    ("client.authorizeWithProxyShort", "data"): (TYPE, "each client's secret"),
    ("proxy.signedPayment", "data"): (SHAPE, "signed by each proxy's key for its contracts"),
    ("client.runQueryEx", "request_id"): (SHAPE, "random"),
    ("proxy.runQueryEx", "request_id"): (SHAPE, "random"),
    ("proxy.queryAnswerEx", "request_id"): (SHAPE, "random"),
    ("proxy.queryAnswerPartEx", "request_id"): (SHAPE, "random"),
    ("client.queryAnswerEx", "request_id"): (SHAPE, "random"),
    ("client.queryAnswerPartEx", "request_id"): (SHAPE, "random"),
    ("proxy.clientRequestPayment", "request_id"): (SHAPE, "random"),
    ("proxy.workerRequestPayment", "request_id"): (SHAPE, "random"),
    ("proxy.queryAnswerEx", "flags"): (_answer_flags, "ours may complete in the first message"),
    ("client.queryAnswerEx", "flags"): (_answer_flags, "ours may complete in the first message"),
    ("proxy.queryAnswerPartEx", "flags"): (_answer_flags, "see queryAnswerEx"),
    ("client.queryAnswerPartEx", "flags"): (_answer_flags, "see queryAnswerEx"),
    ("proxy.queryAnswerEx", "final_info"): (_final_info, "present iff last"),
    ("client.queryAnswerEx", "final_info"): (_final_info, "present iff last"),
    ("proxy.queryAnswerPartEx", "final_info"): (_final_info, "present iff last"),
    ("client.queryAnswerPartEx", "final_info"): (_final_info, "present iff last"),
    ("proxy.queryAnswerPartEx", "answer"): (TYPE, "body bytes of different fake backends"),
    ("client.queryAnswerPartEx", "answer"): (TYPE, "body bytes of different fake backends"),
    ("http.response", "payload"): (TYPE, "body bytes of different fake backends"),
    ("http.response", "headers"): (
        _headers(lambda n: n.lower().startswith("x-cocoon-") or n.lower() == "content-type"),
        "the upstream servers differ; the X-Cocoon-* times and the content type must match",
    ),
    ("http.request", "headers"): (_request_headers, "the caller's own headers"),
    ("http.request", "payload"): (_json_body, "compared by value in the tests that send it"),
    ("proxy.queryFinalInfo", "worker_start_time"): (_time, "a time"),
    ("proxy.queryFinalInfo", "worker_end_time"): (_time, "a time"),
    ("client.queryFinalInfo", "worker_start_time"): (_time, "a time"),
    ("client.queryFinalInfo", "worker_end_time"): (_time, "a time"),
    ("client.queryFinalInfo", "proxy_start_time"): (_time, "a time"),
    ("client.queryFinalInfo", "proxy_end_time"): (_time, "a time"),
}

_CARRIED_FIELDS = {(cls.TL_NAME, field) for cls, (field, _) in CARRIED.items()}


def diff(ours: tl.TLObject, ref: tl.TLObject, path: str = "") -> list[str]:
    """Every field where `ours` differs from `ref` beyond what `RULES` allows."""
    where = path or ref.TL_NAME
    if type(ours) is not type(ref):
        return [f"{where}: constructor {ours.TL_NAME} != reference {ref.TL_NAME}"]
    problems: list[str] = []
    for spec in ref.TL_FIELDS:
        name = spec[0]
        a, b = getattr(ours, name), getattr(ref, name)
        at = f"{where}.{name}"
        rule = RULES.get((ref.TL_NAME, name))
        if rule is not None:
            problem = rule[0](a, b)
            if problem:
                problems.append(f"{at}: {problem}")
        elif (ref.TL_NAME, name) in _CARRIED_FIELDS and isinstance(b, bytes) and b:
            problems += diff(tl.decode(a), tl.decode(b), at)
        else:
            problems += _values(a, b, at)
    return problems


def _values(a: object, b: object, at: str) -> list[str]:
    if isinstance(b, tl.TLObject):
        if not isinstance(a, tl.TLObject):
            return [f"{at}: {a!r} != reference {b!r}"]
        return diff(a, b, at)
    if isinstance(b, tuple | list):
        if not isinstance(a, tuple | list) or len(a) != len(b):
            return [f"{at}: {a!r} != reference {b!r}"]
        out: list[str] = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += _values(x, y, f"{at}[{i}]")
        return out
    problem = _same(a, b)
    return [f"{at}: {problem}"] if problem else []
