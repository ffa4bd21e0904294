"""The worker's token counter (spec 40 §3.3 [OURS]): reads `usage` out of an inference server's
answer as it streams past, and adds the cost fields to it; sans-IO.

    counter = UsageCounter(content_type, on_usage=price.cost_fields)
    for chunk in upstream_body:
        send(counter.feed(chunk))          # may be b"" while a JSON document is incomplete
    send(counter.finish())
    bill(counter.counts)                   # UsageCounts(prompt, cached, completion, reasoning)

Modes, chosen from the upstream `Content-Type` (`text/event-stream` means SSE), else by the
first bytes (`data:` and the other SSE fields mean SSE, anything else JSON):

* SSE: complete lines go out as soon as they are complete. A `data:` line whose JSON payload
  carries `usage` is counted and, if `on_usage` is given, re-emitted with the fields it returns
  merged into that `usage` (compact, keys sorted); every other line passes unchanged, without
  being parsed at all when it cannot mention `usage`.
* JSON: each complete JSON document (a single answer, or NDJSON lines) is counted, injected
  and re-emitted compactly with sorted keys and `\\n`, as the reference does; whitespace between
  documents is dropped and whatever is left at the end of the body goes out verbatim from
  `finish()`. A body that stops being JSON (an error page, garbage) passes through unchanged
  from that point on, without waiting for the end.

Counting follows the reference: `usage.prompt_tokens`, `usage.prompt_tokens_details.
cached_tokens`, `usage.completion_tokens` and `usage.completion_tokens_details.reasoning_tokens`
or `usage.reasoning_tokens` (both feed `reasoning`) count only when they are JSON unsigned
integers; each counter keeps the maximum it has seen. An object "carries usage" when one of
those fields is such an integer; the cost fields are merged into every object that does.

Early ends (spec 40 §3.3 [OURS]): a stream can stop before its final `usage` (the caller left,
the request was cancelled or timed out, the server closed). `billable` is then the figure the
worker stands behind: the latest counts the server reported (with vLLM's
`stream_options.continuous_usage_stats` every chunk carries them), and never fewer completion
tokens than the completion pieces delivered (`pieces`: choice deltas with non-empty content,
reasoning, text or tool calls; each is at least one token). There is no prompt estimate where
the server reported none (the reference has none either): a byte-count guess is no figure to
stand behind. Once the final usage was seen (an object carrying usage with no choices in a
stream, or any JSON document that carries it), `billable` is exactly what it reported.

With `strip_running_usage` (the worker asked for continuous usage, the caller did not), the
`usage` of a streamed chunk that also carries choices is counted and then removed, so the
caller sees usage only in the final chunk, as OpenAI and vLLM send it without that option;
the chunk keeps its bytes otherwise (the usage member is cut out, not the chunk re-serialised).

Cost: each byte is scanned a bounded number of times whatever the chunking (a document is parsed
once when its end is found, plus at most one optimistic attempt that fails). In SSE only the
lines that may carry usage are parsed; the pieces of the others are found in each line's bytes
(a line is parsed only when it holds several), and only while they may matter: not after the
final usage, nor when the final usage came in the same read (a whole 100-token stream read at
once costs about 20 us instead of 170 us).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from cocoon.openai import _json


@attrs.frozen
class UsageCounts:
    """Token counts as the inference server reported them (raw, not adjusted)."""

    prompt: int = 0
    cached: int = 0
    completion: int = 0
    reasoning: int = 0


# Given the counts so far, the fields to merge into the `usage` object that carried them.
OnUsage = Callable[[UsageCounts], Mapping[str, Any]]

_SSE_FIELDS = (b"data:", b"event:", b"id:", b"retry:", b":")
_WHITESPACE = b" \t\r\n"
_COUNT_LIMIT = 1 << 63  # larger "unsigned" values wrap negative in the reference


_PIECE_KEYS = ("content", "reasoning_content", "reasoning", "text")
# A non-empty piece in a streamed chunk, found in its bytes: with its quotes unescaped,
# `"content"` followed by `:` can only be a key (a string value is followed by `,` `}` `]`,
# and a quote inside a string is escaped). A chunk where it occurs once has exactly one
# choice that delivers something; one where it occurs more often is parsed. A parse costs
# about four times as much, on every chunk of every stream.
_PIECE = re.compile(
    rb'"(?:content|reasoning_content|reasoning|text)"\s*:\s*"[^"]|"tool_calls"\s*:\s*\[\s*[^\]\s]'
)


def _pieces_of(obj: dict[str, Any]) -> int:
    """How many choices of a streamed chunk deliver something (each is at least one token)."""
    choices = obj.get("choices")
    if type(choices) is not list:
        return 0
    n = 0
    for choice in choices:
        if type(choice) is not dict:
            continue
        delta = choice.get("delta")
        part = delta if type(delta) is dict else choice  # chat: the delta; completions: itself
        if any(type(v := part.get(k)) is str and v for k in _PIECE_KEYS):
            n += 1
        elif type(v := part.get("tool_calls")) is list and v:
            n += 1
    return n


def _has_choices(obj: dict[str, Any]) -> bool:
    choices = obj.get("choices")
    return type(choices) is list and len(choices) > 0


def _count_of(obj: Any, key: str) -> int:
    """A token count `obj[key]` (-1 when `obj` is no dict, or the count is missing or no
    plausible count)."""
    v = obj.get(key) if type(obj) is dict else None
    return v if type(v) is int and 0 <= v < _COUNT_LIMIT else -1


_NO_COUNTS = UsageCounts()

# Structural bytes of JSON outside strings; the body of a string up to its closing quote,
# a trailing lone backslash, or the end of the data (whichever comes first).
_STRUCTURAL = re.compile(rb'["{}\[\]]')
_STRING_BODY = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*', re.S)
_NOT_WHITESPACE = re.compile(rb"[^ \t\r\n]")

_UNDECIDED, _SSE, _JSON, _PASSTHROUGH = range(4)


def _usage_mark(data: bytes, start: int, escapes: bool) -> int:
    """Where the next line that may carry usage is marked: the key itself, or (when `data`
    has backslashes at all) a \\u escape that could spell it; -1 if nowhere. Plain
    searches: a regex alternation is several times slower on long chunks."""
    i = data.find(b"usage", start)
    if not escapes:
        return i
    j = data.find(b"\\u", start, i if i >= 0 else len(data))
    return j if j >= 0 else i


class UsageCounter:
    """Counts tokens in one answer body; see the module docstring. Not thread-safe."""

    __slots__ = (
        "_buf",
        "_depth",
        "_in_string",
        "_mode",
        "_on_usage",
        "_scan_pos",
        "_scanning",
        "_strip",
        "counts",
        "final_seen",
        "pieces",
        "usage_seen",
    )

    def __init__(
        self,
        content_type: str | None,
        on_usage: OnUsage | None = None,
        *,
        strip_running_usage: bool = False,
    ) -> None:
        self.counts = _NO_COUNTS
        self.usage_seen = False  # some object carried usage
        self.final_seen = False  # the answer's final usage went past
        self.pieces = 0  # completion pieces delivered (counted until the final usage)
        self._on_usage = on_usage
        self._strip = strip_running_usage
        is_sse = content_type is not None and "text/event-stream" in content_type.lower()
        self._mode = _SSE if is_sse else _UNDECIDED
        self._buf = bytearray()
        # JSON scanner state for the document at the start of _buf.
        self._scanning = False
        self._scan_pos = 0
        self._depth = 0
        self._in_string = False

    @property
    def billable(self) -> UsageCounts:
        """The counts to bill now, however the answer ends (see the module docstring)."""
        counts = self.counts
        if self.final_seen or self.pieces <= counts.completion:
            return counts
        return attrs.evolve(counts, completion=self.pieces)

    @property
    def mode(self) -> str:
        return ("undecided", "sse", "json", "passthrough")[self._mode]

    def feed(self, chunk: bytes) -> bytes:
        """Take the next piece of the body; return what may be sent on now."""
        if type(chunk) is not bytes:
            chunk = bytes(chunk)
        if self._mode == _SSE:
            return self._feed_sse(chunk)
        if self._mode == _JSON:
            self._buf += chunk
            return self._drain_json(final=False)
        if self._mode == _PASSTHROUGH:
            return bytes(chunk)
        self._buf += chunk
        if not self._decide():
            return b""
        if self._mode == _SSE:
            chunk, self._buf = bytes(self._buf), bytearray()
            return self._feed_sse(chunk)
        if self._mode == _PASSTHROUGH:
            out, self._buf = bytes(self._buf), bytearray()
            return out
        return self._drain_json(final=False)

    def finish(self) -> bytes:
        """The body ended: return the rest (a last unterminated line, an incomplete tail)."""
        if self._mode == _SSE:
            rest, self._buf = bytes(self._buf), bytearray()
            return self._sse_lines(rest) if rest else b""
        out = self._drain_json(final=True) if self._mode == _JSON else b""
        out += self._buf
        self._buf = bytearray()
        return out

    # -- mode ---------------------------------------------------------------------------

    def _decide(self) -> bool:
        m = _NOT_WHITESPACE.search(self._buf)
        if m is None:
            return False
        start = m.start()
        first = self._buf[start]
        if first in b"{[":
            self._mode = _JSON
            return True
        head = bytes(self._buf[start : start + 6])
        for field in _SSE_FIELDS:
            if head.startswith(field):
                self._mode = _SSE
                return True
            if field.startswith(head):
                return False  # too few bytes to tell yet
        self._mode = _PASSTHROUGH
        return True

    # -- SSE ----------------------------------------------------------------------------

    def _feed_sse(self, chunk: bytes) -> bytes:
        end = chunk.rfind(b"\n") + 1
        if end == 0:
            self._buf += chunk
            return b""
        if self._buf:
            self._buf += chunk[:end]
            complete = bytes(self._buf)
            self._buf = bytearray(chunk[end:])
        elif end < len(chunk):
            complete = chunk[:end]
            self._buf = bytearray(chunk[end:])
        else:
            complete = chunk
        if not self.final_seen:
            return self._sse_every_line(complete)
        # Fast path: lines that cannot mention `usage` (not even through a \u escape in a
        # key) are passed on without being parsed.
        escapes = b"\\" in complete
        mark = _usage_mark(complete, 0, True) if escapes else complete.find(b"usage")
        if mark < 0:
            return complete
        return self._sse_lines(complete, mark, escapes)

    def _sse_every_line(self, data: bytes) -> bytes:
        """Process every `data:` line of `data` (pieces are counted until the final usage).
        The lines that may mention `usage` are found by searching `data` as a whole; the
        pieces of the others are counted afterwards, and not at all when the final usage is
        in `data` too (they then no longer count: `billable` is what the server reported)."""
        unmarked: list[tuple[int, int]] = []  # spans of whole lines that cannot carry usage
        out = self._sse_lines(data, 0, b"\\" in data, unmarked)
        if not self.final_seen:
            for start, end in unmarked:
                self._count_lines(data, start, end)
        return out

    def _count_lines(self, data: bytes, start: int, end: int) -> None:
        """Count the pieces of the whole lines in data[start:end], none of which may mention
        `usage`: a `data:` line with one piece counts it, without a parse; one with several
        is parsed (they may be several choices' or one choice's)."""
        for line in data[start:end].split(b"\n"):
            if line.startswith(b"data:"):
                found = len(_PIECE.findall(line))
                if found <= 1:
                    self.pieces += found
                else:
                    self._sse_data(line)

    def _sse_lines(
        self,
        data: bytes,
        mark: int = 0,
        escapes: bool = True,
        unmarked: list[tuple[int, int]] | None = None,
    ) -> bytes:
        """Process the lines of `data` that may mention `usage` (the first marked at or
        after `mark`); copy the rest as it is. With `unmarked`, the spans of whole lines in
        between (which cannot mention it) are added to that list."""
        out: list[bytes] = []
        copied = 0  # data[:copied] is in `out` already
        pos = 0  # the lines before it are done
        n = len(data)
        mark = _usage_mark(data, mark, escapes)
        while mark >= 0:
            start = data.rfind(b"\n", 0, mark) + 1
            if unmarked is not None and start > pos:
                unmarked.append((pos, start))
            end = data.find(b"\n", mark)
            if end < 0:
                end = n
            line = data[start:end]
            new = self._sse_data(line) if line.startswith(b"data:") else None
            if new is not None:
                out.append(data[copied:start])
                out.append(new)
                copied = end
            pos = end + 1
            mark = _usage_mark(data, end, escapes)
        if unmarked is not None and pos < n:
            unmarked.append((pos, n))
        if not out:
            return data
        out.append(data[copied:])
        return b"".join(out)

    def _sse_data(self, line: bytes) -> bytes | None:
        cr = line.endswith(b"\r")
        body_start = 6 if line[5:6] == b" " else 5  # one space after the colon is not data
        payload = line[body_start : len(line) - cr]
        if payload == b"[DONE]":
            return None
        try:
            obj = _json.loads(payload)
        except ValueError:
            return None
        if type(obj) is not dict:
            return None
        running = _has_choices(obj)
        if not self.final_seen:
            self.pieces += _pieces_of(obj)
        if not self._count(obj):
            return None
        if running:
            if self._strip:
                text = _without_usage(payload, obj)
                return None if text is None else line[:body_start] + text + (b"\r" if cr else b"")
        else:
            self.final_seen = True
        if self._on_usage is None:
            return None
        obj["usage"].update(self._on_usage(self.counts))
        try:
            text = _json.dumps(obj)
        except ValueError:
            return None
        return line[:body_start] + text + (b"\r" if cr else b"")

    # -- JSON ---------------------------------------------------------------------------

    def _drain_json(self, *, final: bool) -> bytes:
        buf = self._buf
        out: list[bytes] = []
        pos = 0  # start of the document being looked at
        while True:
            if not self._scanning:
                m = _NOT_WHITESPACE.search(buf, pos)
                if m is None:
                    break  # only whitespace left: kept for the verbatim tail
                pos = m.start()
                if buf[pos] not in b"{[":
                    return self._give_up(out, pos)
                if pos == 0 and not out:
                    end = self._try_whole(buf, out)
                    if end:
                        pos = end
                        continue
                self._scanning = True
                self._scan_pos = pos
                self._depth = 0
                self._in_string = False
            end = self._scan(buf)
            if end < 0:
                break
            self._scanning = False
            doc = bytes(buf[pos:end])
            try:
                obj = _json.loads(doc)
            except ValueError:
                return self._give_up(out, pos)
            out.append(self._emit(obj, doc))
            pos = end
        if pos:
            self._scan_pos -= pos
            del buf[:pos]
        if final:
            self._scanning = False
        return b"".join(out)

    def _give_up(self, out: list[bytes], pos: int) -> bytes:
        """Not JSON from `pos` on: send everything from there unchanged, now and later."""
        self._mode = _PASSTHROUGH
        self._scanning = False
        out.append(bytes(self._buf[pos:]))
        self._buf = bytearray()
        return b"".join(out)

    def _try_whole(self, buf: bytearray, out: list[bytes]) -> int:
        """Optimistic path: the data so far is exactly one document (the usual answer).
        Returns where it ended (trailing whitespace stays), or 0."""
        end = len(buf)
        while end and buf[end - 1] in _WHITESPACE:
            end -= 1
        if not end or buf[end - 1] not in b"}]":
            return 0
        doc = bytes(buf[:end])
        try:
            obj = _json.loads(doc)
        except ValueError:
            return 0  # incomplete, several documents, or invalid: the scanner will tell
        out.append(self._emit(obj, doc))
        return end

    def _scan(self, buf: bytearray) -> int:
        """Go on scanning the current document from `_scan_pos`; where it ends, or -1."""
        p = self._scan_pos
        n = len(buf)
        depth = self._depth
        if self._in_string:
            p = _STRING_BODY.match(buf, p).end()
            if p >= n or buf[p] != 0x22:  # still open (maybe on a trailing backslash)
                self._scan_pos = p
                return -1
            self._in_string = False
            p += 1
        search = _STRUCTURAL.search
        while True:
            m = search(buf, p)
            if m is None:
                self._scan_pos = n
                self._depth = depth
                return -1
            c = buf[m.start()]
            p = m.end()
            if c == 0x22:  # '"': skip the string
                p = _STRING_BODY.match(buf, p).end()
                if p >= n or buf[p] != 0x22:
                    self._in_string = True
                    self._scan_pos = p
                    self._depth = depth
                    return -1
                p += 1
            elif c == 0x7B or c == 0x5B:  # '{' '['
                depth += 1
            else:
                depth -= 1
                if depth <= 0:
                    return p

    def _emit(self, obj: Any, doc: bytes) -> bytes:
        if type(obj) is dict:
            if not self.final_seen:
                self.pieces += _pieces_of(obj)
            if self._count(obj):
                self.final_seen = True  # a whole answer, or the usage line of JSON lines
                if self._on_usage is not None:
                    obj["usage"].update(self._on_usage(self.counts))
        try:
            return _json.dumps(obj) + b"\n"
        except ValueError:  # a lone surrogate: keep the document as it came
            return doc + b"\n"

    # -- counting -----------------------------------------------------------------------

    def _count(self, obj: dict[str, Any]) -> bool:
        """Update the counters from one object; True when it carried usage."""
        usage = obj.get("usage")
        if type(usage) is not dict:
            return False
        prompt = _count_of(usage, "prompt_tokens")
        cached = _count_of(usage.get("prompt_tokens_details"), "cached_tokens")
        completion = _count_of(usage, "completion_tokens")
        # vLLM's place for reasoning tokens, and OpenAI's
        reasoning = max(
            _count_of(usage, "reasoning_tokens"),
            _count_of(usage.get("completion_tokens_details"), "reasoning_tokens"),
        )
        if prompt < 0 and cached < 0 and completion < 0 and reasoning < 0:
            return False
        self.usage_seen = True
        c = self.counts  # plain comparisons: with continuous usage this runs on every chunk
        if (
            prompt > c.prompt
            or cached > c.cached
            or completion > c.completion
            or reasoning > c.reasoning
        ):
            self.counts = UsageCounts(
                max(prompt, c.prompt),
                max(cached, c.cached),
                max(completion, c.completion),
                max(reasoning, c.reasoning),
            )
        return True


_USAGE_KEY = b'"usage"'


def _without_usage(payload: bytes, obj: dict[str, Any]) -> bytes | None:
    """`payload` (whose parse is `obj`) without its `usage` member: cut out when it is the
    last member, as vLLM writes it, else the object re-serialised; None if it cannot be.

    The cut is safe without another parse: with no \\u escape in the payload (one could
    spell the key) `"usage"` occurs once (inside a string its quotes would be escaped), so it
    is the member the parse found, and the parse kept the members' order, so nothing follows
    its value but the object's end."""
    last = next(reversed(obj))
    obj.pop("usage")
    if last == "usage" and payload.count(_USAGE_KEY) == 1 and b"\\u" not in payload:
        head = payload[: payload.find(_USAGE_KEY)].rstrip(_WHITESPACE)
        if head.endswith(b","):
            return head[:-1] + b"}"
    try:
        return _json.dumps(obj)
    except ValueError:
        return None
