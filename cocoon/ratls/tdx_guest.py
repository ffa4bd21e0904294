"""Quotes and TD reports from inside a TDX guest, through the Linux kernel (spec 20 §12).

* Quotes: configfs-tsm. Make an entry under `/sys/kernel/config/tsm/report/`, write the 64
  bytes of REPORTDATA to its `inblob`, read the quote from `outblob`, check `generation` (so a
  concurrent writer of the same entry cannot hand us someone else's quote), remove the entry.
* TD reports (1024-byte TDREPORT, for the seal protocol and gen-cert's `.tdx_report`):
  the `TDX_CMD_GET_REPORT0` ioctl on `/dev/tdx_guest`.

Blocking file I/O: call from `trio.to_thread.run_sync` in async code.
"""

from __future__ import annotations

import fcntl
import os
import secrets
from pathlib import Path

from cocoon.errors import AttestationError
from cocoon.ratls.quote import TD_REPORT_SIZE, parse_quote, parse_td_report

TSM_REPORT_ROOT = Path("/sys/kernel/config/tsm/report")
TDX_GUEST_DEVICE = Path("/dev/tdx_guest")
TDX_CMD_GET_REPORT0 = 0xC4405401  # _IOWR('T', 1, struct tdx_report_req), 64 + 1024 bytes
TSM_PROVIDER = "tdx_guest"


class TdxUnavailable(AttestationError):
    """This machine cannot produce TDX quotes or reports (not a TDX guest)."""


class TdxGuest:
    """Real TDX quote/report generation. `tsm_root` and `device` are for tests."""

    def __init__(
        self, tsm_root: str | Path = TSM_REPORT_ROOT, device: str | Path = TDX_GUEST_DEVICE
    ) -> None:
        self.tsm_root = Path(tsm_root)
        self.device = Path(device)

    def make_quote(self, report_data: bytes) -> bytes:
        """A DCAP quote whose REPORTDATA is `report_data` (64 bytes)."""
        if len(report_data) != 64:
            raise AttestationError(f"report data must be 64 bytes, got {len(report_data)}")
        if not self.tsm_root.is_dir():
            raise TdxUnavailable(f"TDX is not supported on this platform (no {self.tsm_root})")
        entry = self.tsm_root / f"cocoon-{os.getpid()}-{secrets.token_hex(6)}"
        try:
            os.mkdir(entry)
        except OSError as e:
            raise TdxUnavailable(f"cannot create a configfs-tsm report entry: {e}") from e
        try:
            provider = _read(entry / "provider").decode(errors="replace").strip()
            if provider != TSM_PROVIDER:
                raise TdxUnavailable(f"configfs-tsm provider is {provider!r}, not {TSM_PROVIDER}")
            (entry / "inblob").write_bytes(report_data)
            quote = _read(entry / "outblob")
            generation = int(_read(entry / "generation").strip() or b"0")
        except (OSError, ValueError) as e:
            raise TdxUnavailable(f"configfs-tsm quote generation failed: {e}") from e
        finally:
            try:
                os.rmdir(entry)
            except OSError:
                pass  # the kernel removes its attribute files with the directory
        if generation != 1:
            raise AttestationError(f"configfs-tsm entry was rewritten (generation {generation})")
        parsed = parse_quote(quote)
        if parsed.body.report_data != report_data:
            raise AttestationError("configfs-tsm returned a quote for other report data")
        return quote

    def make_report(self, report_data: bytes) -> bytes:
        """The 1024-byte TDREPORT with `report_data`, via TDX_CMD_GET_REPORT0."""
        if len(report_data) != 64:
            raise AttestationError(f"report data must be 64 bytes, got {len(report_data)}")
        buf = bytearray(report_data + bytes(TD_REPORT_SIZE))
        try:
            fd = os.open(self.device, os.O_RDWR)
        except OSError as e:
            raise TdxUnavailable(f"TDX is not supported on this platform ({e})") from e
        try:
            fcntl.ioctl(fd, TDX_CMD_GET_REPORT0, buf, True)
        except OSError as e:
            raise TdxUnavailable(f"TDX_CMD_GET_REPORT0 failed: {e}") from e
        finally:
            os.close(fd)
        report = bytes(buf[64:])
        if parse_td_report(report).report_data != report_data:
            raise AttestationError("the TDX module returned a report for other report data")
        return report


def _read(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read()
