"""RA-TLS: TDX quotes, attestation policies, attested certificates, proof of work, and the
trio stream wrappers that put mutual, attested TLS 1.3 on a raw TCP stream.

    identity = Identity.generate("fake_tdx")
    policy = builtin_policies()["fake_tdx"]
    stream = await open_ratls_stream(host, port, identity, policy)   # stream.peer: RatlsPeer
    await nursery.start(serve_ratls, handler, port, identity, policy)

The sans-IO modules (`quote`, `cert`, `policy`, `pow`, `dcap`, `identity`, `tdx_guest`) never
import trio; the names below are therefore loaded lazily, on first use, so that importing one
of those modules does not pull in the I/O layer.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AttestationData": "quote",
    "Quote": "quote",
    "QuoteError": "quote",
    "TdReport": "quote",
    "parse_quote": "quote",
    "parse_td_report": "quote",
    "image_hash": "quote",
    "CertificateError": "cert",
    "Mode": "cert",
    "Identity": "identity",
    "AttestationCache": "policy",
    "Policy": "policy",
    "PolicyConfig": "policy",
    "PolicyError": "policy",
    "PolicyKind": "policy",
    "builtin_policies": "policy",
    "load_policy_file": "policy",
    "PowError": "pow",
    "QuoteVerifier": "dcap",
    "TlsError": "tls_common",
    "TlsStream": "tls",
    "ClientTlsStream": "tls_client",
    "PeerCertificateRejected": "tls",
    "RatlsPeer": "connect",
    "open_ratls_stream": "connect",
    "serve_ratls": "connect",
    "IdentityHolder": "refresh",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cocoon.ratls' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"cocoon.ratls.{module}"), name)
    globals()[name] = value
    return value
