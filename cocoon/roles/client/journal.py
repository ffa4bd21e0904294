"""What the client remembers about the requests it served: the last N request records (model,
tokens, cost, timings), totals per model, and the debug log keyed by SHA-256 of the user's
`request_guid` (spec 40 sections 2.5.2 and 2.5.4; the reference keeps one debug entry, we keep
`debug_log_size`)."""

from __future__ import annotations

from collections import OrderedDict, deque
from typing import Any

import attrs

RECENT_REQUESTS = 200


@attrs.define(slots=True)
class RequestRecord:
    request_id: str  # hex of the 32 random bytes sent to the proxy ("" if never sent)
    model: str
    endpoint: str
    stream: bool
    started_at: float  # Unix seconds
    status: int = 0
    first_byte_at: float | None = None  # the answer's head reached us
    ended_at: float | None = None
    tokens: int = 0  # adjusted tokens billed (the proxy's tokensUsed total)
    prompt_tokens: int = 0  # adjusted parts
    completion_tokens: int = 0
    cost: int = 0  # nano-TON: tokens x price per token
    proxy_time: float | None = None
    worker_time: float | None = None
    bytes_sent: int = 0
    error: str | None = None
    # The caller's own doing (a refused request, a disconnect): it fails the request but says
    # nothing about the network, so it is not the `last_error` that /health reports.
    caller_fault: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def duration(self) -> float | None:
        return None if self.ended_at is None else self.ended_at - self.started_at

    def as_json(self) -> dict[str, Any]:
        out = attrs.asdict(self)
        out["duration"] = self.duration
        return out


@attrs.define(slots=True)
class ModelTotals:
    requests: int = 0
    success: int = 0
    failed: int = 0
    tokens: int = 0
    cost: int = 0


# Per-model totals kept by name; further names go to one shared row.
MAX_MODEL_TOTALS = 256
OTHER_MODELS = "(other models)"


class Journal:
    def __init__(self, debug_log_size: int = 1000, recent: int = RECENT_REQUESTS) -> None:
        self.recent: deque[RequestRecord] = deque(maxlen=recent)
        self.models: dict[str, ModelTotals] = {}
        self.debug_log_size = debug_log_size
        self._debug: OrderedDict[bytes, dict[str, Any]] = OrderedDict()
        self.last_error: str | None = None

    def add(self, record: RequestRecord) -> None:
        """A finished request."""
        self.recent.append(record)
        totals = self.models.get(self._model_key(record.model))
        if totals is None:
            totals = self.models[self._model_key(record.model)] = ModelTotals()
        totals.requests += 1
        totals.tokens += record.tokens
        totals.cost += record.cost
        if record.ok:
            totals.success += 1
        else:
            totals.failed += 1
            if not record.caller_fault:
                # Shown on the unauthenticated /health: what kind of failure, never its text
                # (which may carry another caller's model name, input or headers).
                self.last_error = (
                    f"a request failed with HTTP {record.status}"
                    if record.status
                    else "a request failed"
                )

    def recharge(self, record: RequestRecord, tokens: int, cost: int) -> None:
        """A recorded request's charge as the proxy's receipt says, which came after it was
        recorded (the caller left, or our own deadline ended it first)."""
        totals = self.models.get(self._model_key(record.model))
        if totals is not None:
            totals.tokens += tokens - record.tokens
            totals.cost += cost - record.cost
        record.tokens, record.cost = tokens, cost

    def _model_key(self, model: str) -> str:
        """Callers name models freely (unknown ones too): past `MAX_MODEL_TOTALS` names the
        rest share one row, so the totals cannot grow without bound."""
        if model in self.models or len(self.models) < MAX_MODEL_TOTALS:
            return model
        return OTHER_MODELS

    def keep_debug(self, key: bytes, entry: dict[str, Any]) -> None:
        if self.debug_log_size <= 0:
            return
        self._debug[key] = entry
        self._debug.move_to_end(key)
        while len(self._debug) > self.debug_log_size:
            self._debug.popitem(last=False)

    def debug_entry(self, key: bytes) -> dict[str, Any] | None:
        return self._debug.get(key)
