"""Error codes of the TON error space as they travel in `tcp.queryError.code` and in the
`error_code` of query answers (spec 10 section 9.1)."""

from __future__ import annotations

PLAIN = 0  # TL parse errors, "Lost promise", handshake refusals
FAILURE = 601
ERROR = 602
WARNING = 603
PROTOVIOLATION = 621
NOTREADY = 651
TIMEOUT = 652
CANCELLED = 653

NAMES = {
    PLAIN: "plain",
    FAILURE: "failure",
    ERROR: "error",
    WARNING: "warning",
    PROTOVIOLATION: "protoviolation",
    NOTREADY: "notready",
    TIMEOUT: "timeout",
    CANCELLED: "cancelled",
}
