"""Real DCAP verification of TDX quotes, behind one small interface (spec 20 section 3.8).

    verifier.verify(raw_quote, now) -> AttestationData   # blocking; raises AttestationError

A verifier checks the quote's signature chain up to an Intel root with collateral (TCB info,
QE identity, CRLs), accepts only an up-to-date verdict, and sets the result's
`collateral_root_hash` to the SHA-384 key id of the root CA it chained to, which policies
then compare against their allow-list (by default Intel's SGX root, `INTEL_ROOT_KEY_ID`).

`DcapQvlVerifier` uses the optional `dcap-qvl` package (`pip install cocoon[dcap]`) with
collateral from a `CollateralSource`. Without the package it fails closed: every quote is
rejected with `DcapUnavailable`, never accepted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from cocoon.errors import AttestationError
from cocoon.ratls.quote import AttestationData, QuoteError, parse_quote, root_key_id

# dcap-qvl verdicts equivalent to the reference's TEE_QV_RESULT_OK; everything else
# (SWHardeningNeeded, ConfigurationNeeded, OutOfDate, Revoked, ...) is rejected, as there.
ACCEPTED_STATUSES = frozenset({"UpToDate", "OK"})
_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----")


class DcapUnavailable(AttestationError):
    """Real TDX verification is not possible here (no DCAP library); nothing is accepted."""


class QuoteVerifier(Protocol):
    def verify(self, quote: bytes, now: int) -> AttestationData:
        """Verify `quote` at unix time `now`; blocking (may do I/O), raise AttestationError."""
        ...


# A collateral source returns what dcap-qvl's `verify` takes for a given quote.
CollateralSource = Callable[[bytes], Any]


def embedded_root_key_id(quote: bytes) -> bytes:
    """SHA-384 key id of the last (root) certificate in the quote's embedded PCK chain."""
    certs = _PEM_CERT.findall(parse_quote(quote).signature_data())
    if not certs:
        raise QuoteError("quote carries no certificate chain")
    key = x509.load_pem_x509_certificate(certs[-1]).public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise QuoteError("quote root certificate has no EC key")
    return root_key_id(key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))


class UnavailableVerifier:
    """The verifier of a platform without DCAP: rejects every real quote (fails closed)."""

    def __init__(self, reason: str = "TDX is not supported on this platform") -> None:
        self.reason = reason

    def verify(self, quote: bytes, now: int) -> AttestationData:
        raise DcapUnavailable(self.reason)


class CollateralFile:
    """Collateral from a JSON snapshot (dcap-qvl's `QuoteCollateralV3.to_json` form), for
    offline verification of recorded quotes at a fixed time."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __call__(self, quote: bytes) -> Any:
        dcap_qvl = _import_dcap_qvl()
        text = self.path.read_text()
        json.loads(text)  # a clear error for a file that is not JSON at all
        return dcap_qvl.QuoteCollateralV3.from_json(text)


class DcapQvlVerifier:
    """DCAP verification with the `dcap-qvl` package (Phala's pure-Rust QVL).

    What it checks: the quote's ECDSA signature by the attestation key, the QE report and its
    binding to that key, the PCK certificate chain up to Intel's SGX root CA (with CRLs), and
    the TCB level against the collateral's TCB info and QE identity at `now`. We then require
    an up-to-date verdict and report the chain's root key id.
    """

    def __init__(
        self,
        collateral: CollateralSource,
        *,
        accepted_statuses: frozenset[str] = ACCEPTED_STATUSES,
    ) -> None:
        self.collateral = collateral
        self.accepted_statuses = accepted_statuses

    def verify(self, quote: bytes, now: int) -> AttestationData:
        dcap_qvl = _import_dcap_qvl()
        parsed = parse_quote(quote)  # layout first: a garbage quote never reaches the library
        try:
            collateral = self.collateral(quote)
        except (OSError, ValueError, RuntimeError) as e:
            raise AttestationError(f"no DCAP collateral for the quote: {e}") from e
        try:
            report = dcap_qvl.verify(quote, collateral, int(now))
        except (ValueError, RuntimeError) as e:
            raise AttestationError(f"DCAP verification failed: {e}") from e
        if report.status not in self.accepted_statuses:
            raise AttestationError(f"DCAP verdict {report.status} is not acceptable")
        return parsed.attestation(embedded_root_key_id(quote))


def _import_dcap_qvl() -> Any:
    try:
        import dcap_qvl  # optional dependency, loaded only when needed
    except ImportError as e:
        raise DcapUnavailable(
            "real TDX verification needs the dcap-qvl package (pip install 'cocoon[dcap]')"
        ) from e
    return dcap_qvl


def default_verifier(collateral_path: str | Path | None = None) -> QuoteVerifier:
    """dcap-qvl with a collateral snapshot when both are available, else a closed verifier."""
    if collateral_path is None:
        return UnavailableVerifier(
            "TDX verification needs DCAP collateral (no collateral source configured)"
        )
    try:
        _import_dcap_qvl()
    except DcapUnavailable as e:
        return UnavailableVerifier(str(e))
    return DcapQvlVerifier(CollateralFile(collateral_path))
