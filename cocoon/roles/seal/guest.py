"""Where the guest's TDREPORT comes from (blocking; async code calls it in a thread).

* Real mode: `cocoon.ratls.tdx_guest.TdxGuest` (the `TDX_CMD_GET_REPORT0` ioctl).
* Software mode: `FakeTdxGuest`, a configured set of measurements that produces TDREPORTs with
  the real layout (spec 20 section 7.7) — TEE_INFO_HASH = SHA-384 of TDINFO (so the measured
  image enters the key), TEE_TCB_INFO_HASH = SHA-384 of TEE_TCB_INFO, MAC under the INSECURE
  fake platform key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Protocol

import attrs

from cocoon.errors import ConfigError
from cocoon.ratls.quote import ZERO48, TdxMeasurements, build_td_report, image_hash
from cocoon.roles.seal.insecure import INSECURE_FAKE_PLATFORM_KEY


class ReportSource(Protocol):
    def make_report(self, report_data: bytes) -> bytes:
        """A 1024-byte TDREPORT whose REPORTDATA is `report_data`; blocking."""
        ...


def _hex(size: int):  # attrs converter: hex text or bytes of a fixed size
    def convert(value: bytes | str) -> bytes:
        if isinstance(value, str):
            try:
                value = bytes.fromhex(value)
            except ValueError:
                raise ConfigError(f"not hex: {value!r:.80}") from None
        if not isinstance(value, bytes) or len(value) != size:
            raise ConfigError(f"value must be {size} bytes, got {value!r:.80}")
        return value

    return convert


def _rtmrs(value: Any) -> tuple[bytes, bytes, bytes, bytes]:
    regs = tuple(_hex(48)(v) for v in value)
    if len(regs) != 4:
        raise ConfigError(f"rtmr must hold four registers, got {len(regs)}")
    return regs  # type: ignore[return-value]


@attrs.frozen
class FakeTdxGuest:
    """The measured state of a software-mode TD. Changing any field changes TEE_INFO_HASH (or
    TEE_TCB_INFO_HASH, for `tee_tcb_info`) and therefore every sealed key."""

    mr_td: bytes = attrs.field(default=ZERO48, converter=_hex(48))
    mr_config_id: bytes = attrs.field(default=ZERO48, converter=_hex(48))
    mr_owner: bytes = attrs.field(default=ZERO48, converter=_hex(48))
    mr_owner_config: bytes = attrs.field(default=ZERO48, converter=_hex(48))
    rtmr: tuple[bytes, bytes, bytes, bytes] = attrs.field(default=(ZERO48,) * 4, converter=_rtmrs)
    td_attributes: bytes = attrs.field(default=bytes(8), converter=_hex(8))
    xfam: bytes = attrs.field(default=bytes(8), converter=_hex(8))
    tee_tcb_info: bytes = attrs.field(default=bytes(239), converter=_hex(239))
    platform_key: bytes = attrs.field(
        default=INSECURE_FAKE_PLATFORM_KEY, converter=_hex(32), repr=False
    )

    def make_report(self, report_data: bytes) -> bytes:
        return build_td_report(
            report_data,
            mr_td=self.mr_td,
            mr_config_id=self.mr_config_id,
            mr_owner=self.mr_owner,
            mr_owner_config=self.mr_owner_config,
            rtmr=self.rtmr,
            td_attributes=self.td_attributes,
            xfam=self.xfam,
            tee_tcb_info=self.tee_tcb_info,
            platform_key=self.platform_key,
        )

    def extend_rtmr3(self, event: bytes) -> FakeTdxGuest:
        """RTMR3 <- SHA-384(RTMR3 || SHA-384(event)), as `cocoon-init` measures its log lines."""
        r = self.rtmr
        digest = hashlib.sha384(event).digest()
        return attrs.evolve(self, rtmr=(*r[:3], hashlib.sha384(r[3] + digest).digest()))

    @property
    def image_hash(self) -> bytes:
        """The TDX image hash an RA-TLS peer of this TD would see (spec 20 section 3.6)."""
        m = TdxMeasurements(
            self.mr_td,
            self.mr_config_id,
            self.mr_owner,
            self.mr_owner_config,
            rtmr=self.rtmr,
            report_data=bytes(64),
        )
        return image_hash(m)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FakeTdxGuest:
        """From a config mapping: the fields above as hex (`rtmr` a list of four, or `rtmr0`
        .. `rtmr3`), plus `rtmr3_events`: text lines extended into RTMR3 in order."""
        data = dict(data)
        events = data.pop("rtmr3_events", [])
        rtmr = list(data.pop("rtmr", [ZERO48] * 4))
        for i in range(4):
            if f"rtmr{i}" in data:
                rtmr[i] = data.pop(f"rtmr{i}")
        fields = {f.name for f in attrs.fields(cls)} - {"rtmr"}
        unknown = set(data) - fields
        if unknown:
            raise ConfigError(f"unknown fake TD fields: {', '.join(sorted(unknown))}")
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            raise ConfigError("rtmr3_events must be a list of strings")
        guest = cls(rtmr=rtmr, **data)
        for event in events:
            guest = guest.extend_rtmr3(event.encode())
        return guest
