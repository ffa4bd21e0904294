"""Attestation policies (spec 20 section 4): what a peer's quote must prove.

    policy = Policy("workers", PolicyKind.TDX, PolicyConfig(allowed_image_hashes={h}),
                    verifier=DcapQvlVerifier(...))
    att = policy.validate(quote_or_none, peer_public_key, now=int(time.time()))

`any` accepts every peer without attestation, but refuses a quote that is present and not
bound to the peer's key (the reference's `any` does not look at it): a certificate carrying
another machine's quote is a forgery, whatever the policy. `fake_tdx` requires a 64-byte
fake quote; `tdx` requires a DCAP-valid quote (through a `QuoteVerifier`, cached by quote
hash). After the quote, in the reference's order: REPORTDATA == SHA-512(public key), MRTD,
RTMR tuple, image hash and collateral root key id against the allow-lists (an empty list
allows all).
`validate` of a `tdx` policy may block (DCAP collateral I/O): call it from a thread.
"""

from __future__ import annotations

import enum
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from cocoon.errors import AttestationError, ConfigError
from cocoon.ratls.dcap import QuoteVerifier, UnavailableVerifier
from cocoon.ratls.quote import (
    INTEL_ROOT_KEY_ID,
    AttestationData,
    QuoteError,
    SgxMeasurements,
    fake_quote_attestation,
    quoted_report_data,
    report_data_for_key,
)

CACHE_SIZE = 10000


class PolicyError(AttestationError):
    """A peer's attestation does not satisfy the policy."""


class PolicyKind(enum.Enum):
    ANY = "any"
    FAKE_TDX = "fake_tdx"
    TDX = "tdx"

    @classmethod
    def parse(cls, text: str) -> PolicyKind:
        try:
            return cls(text)
        except ValueError:
            raise ConfigError(f"unknown policy type {text!r} (any, fake_tdx or tdx)") from None


def _hex_set(size: int):  # attrs converter: hex strings or bytes -> frozenset of bytes
    def convert(values: Iterable[bytes | str]) -> frozenset[bytes]:
        out = set()
        for v in values:
            b = _from_hex(v, size)
            out.add(b)
        return frozenset(out)

    return convert


def _from_hex(value: bytes | str, size: int) -> bytes:
    if isinstance(value, str):
        if len(value) != 2 * size:
            raise ConfigError(f"hex value must have {2 * size} characters: {value!r}")
        try:
            value = bytes.fromhex(value)
        except ValueError:
            raise ConfigError(f"not hex: {value!r}") from None
    if not isinstance(value, bytes) or len(value) != size:
        raise ConfigError(f"value must be {size} bytes")
    return value


def _rtmr_set(values: Iterable[Iterable[bytes | str]]) -> frozenset[tuple[bytes, ...]]:
    out = set()
    for regs in values:
        regs = tuple(_from_hex(r, 48) for r in regs)
        if len(regs) != 4:
            raise ConfigError("each allowed RTMR entry must hold four registers")
        out.add(regs)
    return frozenset(out)


@attrs.frozen
class PolicyConfig:
    """Allow-lists; an empty one allows everything (spec 20 section 4.2)."""

    allowed_mrtd: frozenset[bytes] = attrs.field(default=(), converter=_hex_set(48))
    allowed_rtmr: frozenset[tuple[bytes, ...]] = attrs.field(default=(), converter=_rtmr_set)
    allowed_image_hashes: frozenset[bytes] = attrs.field(default=(), converter=_hex_set(32))
    allowed_collateral_root_hashes: frozenset[bytes] = attrs.field(
        default=(), converter=_hex_set(48)
    )


class AttestationCache:
    """LRU of successful DCAP verifications keyed by SHA-256 of the raw quote (spec 20 §4.3).

    The claims binding and allow-lists run after the lookup, so a cached quote presented
    with another key is still rejected. Shared by the `tdx` policies of a process; guarded
    by a lock because validations run in worker threads.
    """

    def __init__(self, max_entries: int = CACHE_SIZE) -> None:
        if max_entries < 1:
            raise ConfigError("attestation cache needs room for at least one entry")
        self.max_entries = max_entries
        self._entries: OrderedDict[bytes, AttestationData] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, quote: bytes) -> AttestationData | None:
        key = hashlib.sha256(quote).digest()
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, quote: bytes, data: AttestationData) -> None:
        key = hashlib.sha256(quote).digest()
        with self._lock:
            self._entries[key] = data
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


@attrs.frozen(eq=False)
class Policy:
    name: str
    kind: PolicyKind
    config: PolicyConfig = PolicyConfig()
    verifier: QuoteVerifier = attrs.field(factory=UnavailableVerifier)
    cache: AttestationCache | None = None
    description: str = ""

    @property
    def may_block(self) -> bool:
        """True when `validate` may do I/O (real DCAP): run it in a thread."""
        return self.kind is PolicyKind.TDX

    def validate(self, quote: bytes | None, public_key: bytes, *, now: int) -> AttestationData:
        """The peer's attestation, or PolicyError (or another AttestationError) saying why not."""
        cfg = self.config
        if self.kind is PolicyKind.ANY:
            if cfg.allowed_image_hashes:
                raise PolicyError(f"policy {self.name}: type any cannot check image hashes")
            if quote is not None:
                _check_bound(quote, public_key)
            return AttestationData(None)
        if quote is None:
            raise PolicyError(f"policy {self.name} requires a TDX quote; the peer sent none")
        if self.kind is PolicyKind.FAKE_TDX:
            att = fake_quote_attestation(quote)
        else:
            att = self.cache.get(quote) if self.cache is not None else None
            if att is None:
                att = self.verifier.verify(quote, now)
                if self.cache is not None:
                    self.cache.put(quote, att)
        m = att.measurements
        if m is None or isinstance(m, SgxMeasurements):
            raise PolicyError("SGX attestation is not accepted by this policy")
        if m.report_data != report_data_for_key(public_key):
            raise PolicyError("report data mismatch: the quote is not bound to this key")
        if cfg.allowed_mrtd and m.mr_td not in cfg.allowed_mrtd:
            raise PolicyError(f"MRTD {m.mr_td.hex()} is not allowed by policy {self.name}")
        if cfg.allowed_rtmr and tuple(m.rtmr) not in cfg.allowed_rtmr:
            raise PolicyError(f"RTMR values are not allowed by policy {self.name}")
        if cfg.allowed_image_hashes and att.image_hash not in cfg.allowed_image_hashes:
            raise PolicyError(
                f"image hash {att.image_hash.hex()} is not allowed by policy {self.name}"
            )
        roots = cfg.allowed_collateral_root_hashes
        if roots and att.collateral_root_hash not in roots:
            raise PolicyError(
                f"collateral root {att.collateral_root_hash.hex()} is not allowed by policy"
                f" {self.name}"
            )
        return att


def _check_bound(quote: bytes, public_key: bytes) -> None:
    """A quote present in a certificate must claim that certificate's key (policy `any`
    verifies nothing else about it)."""
    try:
        claimed = quoted_report_data(quote)
    except QuoteError as e:
        raise PolicyError(f"unreadable quote in the certificate: {e}") from e
    if claimed != report_data_for_key(public_key):
        raise PolicyError("report data mismatch: the quote is not bound to this key")


# --- named policies, as the reference router configures them (spec 20 section 6.5) ---


def builtin_policies(
    *,
    verifier: QuoteVerifier | None = None,
    cache: AttestationCache | None = None,
    collateral_root_hashes: Iterable[bytes] = (INTEL_ROOT_KEY_ID,),
) -> dict[str, Policy]:
    """`tdx`, `any` and `fake_tdx` with empty allow-lists (`tdx` pinned to the Intel root)."""
    verifier = verifier or UnavailableVerifier()
    return {
        "tdx": Policy(
            "tdx",
            PolicyKind.TDX,
            PolicyConfig(allowed_collateral_root_hashes=tuple(collateral_root_hashes)),
            verifier=verifier,
            cache=cache,
        ),
        "any": Policy("any", PolicyKind.ANY),
        "fake_tdx": Policy("fake_tdx", PolicyKind.FAKE_TDX),
    }


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def policy_from_json(
    obj: Mapping[str, Any], *, verifier: QuoteVerifier | None = None, cache: AttestationCache | None
) -> Policy:
    """One entry of the reference's JSON `policies[]`."""
    try:
        name = obj["name"]
        kind = PolicyKind.parse(obj["type"])
    except (KeyError, TypeError) as e:
        raise ConfigError(f"policy needs a name and a type: {obj!r}") from e
    tdx = obj.get("tdx_config") or {}
    hashes = _as_list(tdx.get("allowed_image_hashes")) + _as_list(tdx.get("allowed_image_hash"))
    config = PolicyConfig(
        # Like the reference: non-string items and RTMR sets not of length 4 are skipped.
        allowed_mrtd=[h for h in _as_list(tdx.get("allowed_mrtd")) if isinstance(h, str)],
        allowed_rtmr=[s for s in _as_list(tdx.get("allowed_rtmr")) if len(s) == 4],
        allowed_image_hashes=hashes,
        allowed_collateral_root_hashes=_as_list(tdx.get("allowed_collateral_root_hashes")),
    )
    return Policy(
        str(name),
        kind,
        config,
        verifier=verifier or UnavailableVerifier(),
        cache=cache if kind is PolicyKind.TDX else None,
        description=str(obj.get("description", "")),
    )


def policies_from_json(
    obj: Mapping[str, Any],
    *,
    verifier: QuoteVerifier | None = None,
    cache: AttestationCache | None = None,
) -> dict[str, Policy]:
    """The named policies of a config file (`{"policies": [...]}`), by name."""
    out: dict[str, Policy] = {}
    for entry in obj.get("policies", []):
        policy = policy_from_json(entry, verifier=verifier, cache=cache)
        out[policy.name] = policy
    return out


def load_policy_file(
    path: str | Path,
    *,
    verifier: QuoteVerifier | None = None,
    cache: AttestationCache | None = None,
) -> dict[str, Policy]:
    try:
        obj = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot read policies from {path}: {e}") from e
    return policies_from_json(obj, verifier=verifier, cache=cache)
