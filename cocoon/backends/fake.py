"""TEST BACKEND — a fake OpenAI-compatible inference server. It runs no model.

It answers `/v1/chat/completions` and `/v1/completions` the way vLLM does (JSON, or SSE with
`stream: true`, usage last when `stream_options.include_usage` is set, and on every chunk too
with `stream_options.continuous_usage_stats` as vLLM counts it: per choice, the role chunk at
0), `/v1/models` (owned
by "cocoon-fake") and `/health`, so workers, tests, the demo and benchmarks can run without
a GPU. Answers are deterministic: the text cycles through the words of the prompt ("tok0
tok1 ..." when the prompt has none), one word per token; `usage.prompt_tokens` is the
number of prompt words plus 2 per chat message; `completion_tokens` is the number of tokens
produced: `max_completion_tokens` / `max_tokens`, else `default_max_tokens`. With
`stream_format="ndjson"` streamed answers are JSON lines like the reference's benchmark server.

    server = await nursery.start(serve_fake_inference, FakeInferenceConfig(token_delay=0.01))
    client = HttpClient("127.0.0.1", server.port)
    ...
    await server.wait_for(lambda stats: stats.cancelled == 1)

Failures for tests: `fail_mode` ("error": a 500 with an OpenAI error body; "garbage": a 200
whose body is not JSON; "hang": never answers; "close": the connection is closed halfway
through the answer) on every `fail_every`-th inference request. `stats` counts requests,
completed answers, cancellations (the client left before the answer was complete) and
injected failures. `stream_usage=False` plays a server that never reports usage in a stream
(whatever `stream_options` asks), for the worker's billing of what it delivered.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import partial
from typing import Any, Literal

import attrs
import trio

from cocoon.http.server import HttpRequest, HttpResponder, serve_http

log = logging.getLogger("cocoon.backends.fake")

FailMode = Literal["none", "error", "garbage", "hang", "close"]
FAIL_MODES: tuple[FailMode, ...] = ("none", "error", "garbage", "hang", "close")
StreamFormat = Literal["sse", "ndjson"]
STREAM_FORMATS: tuple[StreamFormat, ...] = ("sse", "ndjson")
OWNED_BY = "cocoon-fake"

_JSON = [("Content-Type", "application/json")]
_SSE = [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")]
MAX_CHOICES = 16  # `n` per prompt


def _non_negative(_inst: Any, attribute: attrs.Attribute, value: float) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must not be negative, got {value}")


@attrs.frozen
class FakeInferenceConfig:
    model: str = "Qwen/Qwen3-8B"  # the one model served; requests for another get 404
    default_max_tokens: int = attrs.field(default=16, validator=_non_negative)
    token_delay: float = attrs.field(default=0.0, validator=_non_negative)  # between tokens
    first_token_delay: float = attrs.field(default=0.0, validator=_non_negative)
    cached_tokens: int = attrs.field(default=0, validator=_non_negative)  # reported, capped
    reasoning_tokens: int = attrs.field(default=0, validator=_non_negative)  # by the totals
    fail_mode: FailMode = attrs.field(default="none", validator=attrs.validators.in_(FAIL_MODES))
    fail_every: int = attrs.field(default=1, validator=attrs.validators.ge(1))
    # "ndjson": streamed answers as the reference's benchmark server sends them, one JSON
    # line per token ({"delta": ..., "i": n}) and a last {"usage": ...} line, always.
    stream_format: StreamFormat = attrs.field(
        default="sse", validator=attrs.validators.in_(STREAM_FORMATS)
    )
    stream_usage: bool = True  # False: SSE answers carry no usage, whatever is asked
    created: int = 1_700_000_000  # fixed, so bodies are byte-for-byte reproducible


@attrs.define
class FakeInferenceStats:
    requests: int = 0  # inference requests received (chat and completions)
    completed: int = 0  # answered to the end
    cancelled: int = 0  # the client left before the answer was complete
    failed: int = 0  # failures injected by fail_mode
    active: int = 0  # being answered now


class FakeInferenceServer:
    """The running server: where it listens, its counters, and a way to wait on them."""

    def __init__(self, config: FakeInferenceConfig) -> None:
        self.config = config
        self.stats = FakeInferenceStats()
        self.host = ""
        self.port = 0
        self._changed = trio.Event()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def wait_for(self, predicate: Callable[[FakeInferenceStats], bool]) -> None:
        """Return once `predicate(stats)` holds (bound it with a cancel scope)."""
        while not predicate(self.stats):
            await self._changed.wait()

    def _touch(self) -> None:
        changed, self._changed = self._changed, trio.Event()
        changed.set()

    # -- routing -------------------------------------------------------------------------

    async def handle(self, request: HttpRequest, responder: HttpResponder) -> None:
        path = request.path
        if path in ("/v1/chat/completions", "/v1/completions"):
            if request.method != "POST":
                await _error(responder, 405, "Method Not Allowed", "MethodNotAllowed")
                return
            await self._inference(path == "/v1/chat/completions", request, responder)
        elif path == "/v1/models" and request.method == "GET":
            await responder.respond(200, _JSON, self._models())
        elif path == "/health":
            await responder.respond(200)
        else:
            await responder.respond(404, _JSON, b'{"detail":"Not Found"}')

    def _models(self) -> bytes:
        c = self.config
        model = {
            "id": c.model,
            "object": "model",
            "created": c.created,
            "owned_by": OWNED_BY,
            "root": c.model,
            "parent": None,
            "max_model_len": 32768,
        }
        return _dumps({"object": "list", "data": [model]})

    # -- inference -----------------------------------------------------------------------

    async def _inference(self, chat: bool, request: HttpRequest, responder: HttpResponder):
        stats = self.stats
        stats.requests += 1
        stats.active += 1
        number = stats.requests
        self._touch()
        finished = False
        try:
            finished = await self._answer(chat, number, request, responder)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            responder.client_gone = True
            raise
        finally:
            stats.active -= 1
            if responder.client_gone:
                stats.cancelled += 1
            elif finished:
                stats.completed += 1
            self._touch()

    async def _answer(
        self, chat: bool, number: int, request: HttpRequest, responder: HttpResponder
    ) -> bool:
        """Answer one request; True when the answer was complete."""
        c = self.config
        try:
            body = json.loads(request.body)
        except ValueError:
            await _error(responder, 400, "the request body is not valid JSON", "BadRequestError")
            return True
        if type(body) is not dict:
            await _error(responder, 400, "the request body must be an object", "BadRequestError")
            return True
        if body.get("model") != c.model:
            message = f"The model `{body.get('model')}` does not exist."
            await _error(responder, 404, message, "NotFoundError")
            return True
        prompts = _prompts(body, chat)
        if prompts is None:
            what = "messages" if chat else "prompt"
            await _error(responder, 400, f"invalid or missing '{what}'", "BadRequestError")
            return True
        choices = body.get("n", 1)
        if type(choices) is not int or not 1 <= choices <= MAX_CHOICES:
            message = f"n must be an integer from 1 to {MAX_CHOICES}"
            await _error(responder, 400, message, "BadRequestError")
            return True
        limit = body.get("max_completion_tokens", body.get("max_tokens"))
        n = limit if type(limit) is int and limit >= 0 else c.default_max_tokens
        answer = _Answer(c, chat, number, prompts, n, choices, limited=limit is not None)
        answer.tool = _first_tool(body) if chat else None

        fail = c.fail_mode if c.fail_mode != "none" and number % c.fail_every == 0 else None
        if fail is not None:
            self.stats.failed += 1
            if fail == "error":
                await _error(responder, 500, "injected failure", "InternalServerError")
                return True
            if fail == "garbage":
                await responder.respond(200, _JSON, b"\x00<html>not json {{{")
                return True
            if fail == "hang":
                with responder.cancel_on_disconnect():
                    await trio.sleep_forever()
                return False

        stream = body.get("stream") is True
        options = body.get("stream_options")
        include_usage = (
            c.stream_usage and type(options) is dict and options.get("include_usage") is True
        )
        # vLLM honours continuous_usage_stats only together with include_usage
        continuous = include_usage and options.get("continuous_usage_stats") is True
        delayed = c.token_delay > 0 or c.first_token_delay > 0
        if not stream:
            if delayed:
                with responder.cancel_on_disconnect():
                    await trio.sleep(c.first_token_delay + c.token_delay * max(0, n - 1))
                if responder.client_gone:
                    return False
            data = answer.whole()
            if fail == "close":
                await responder.start(200, _JSON)
                await responder.write(data[: len(data) // 2])
                await responder.abort()
                return False
            await responder.respond(200, _JSON, data)
            return True

        if c.stream_format == "ndjson":
            await responder.start(200, _JSON)
            events = answer.ndjson_lines()
        else:
            await responder.start(200, _SSE)
            events = answer.events(include_usage, continuous=continuous)
        cut = n // 2 + 1 if fail == "close" else None  # role event + half the tokens
        if not delayed:
            await responder.write(b"".join(events[:cut]))
        else:
            with responder.cancel_on_disconnect():
                await responder.write(events[0])  # the role delta goes out at once
                for i, event in enumerate(events[1:cut], 1):
                    if i == 1:
                        await trio.sleep(c.first_token_delay)
                    elif i <= n:
                        await trio.sleep(c.token_delay)
                    await responder.write(event)
            if responder.client_gone:
                return False
        if fail == "close":
            await responder.abort()
            return False
        await responder.end()
        return True


async def _error(responder: HttpResponder, status: int, message: str, type_: str) -> None:
    # vLLM's error shape
    body = {"object": "error", "message": message, "type": type_, "param": None, "code": status}
    await responder.respond(status, _JSON, _dumps(body))


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _prompts(body: dict[str, Any], chat: bool) -> list[list[str]] | None:
    """The words of each prompt (a chat has one; a completion one per string or per token
    list of a batch), or None when the prompt is missing or malformed."""
    if chat:
        words = _prompt_words(body, chat)
        return None if words is None else [words]
    prompt = body.get("prompt")
    if type(prompt) is list and prompt and all(type(p) in (str, list) for p in prompt):
        batch = [_prompt_words({"prompt": p}, chat) for p in prompt]  # several prompts
        return None if None in batch else batch  # type: ignore[return-value]
    words = _prompt_words(body, chat)
    return None if words is None else [words]


def _prompt_words(body: dict[str, Any], chat: bool) -> list[str] | None:
    """The prompt's words, plus "<role>" placeholders so chat overhead is counted; None when
    the prompt is missing or malformed."""
    words: list[str] = []
    if chat:
        messages = body.get("messages")
        if type(messages) is not list or not messages:
            return None
        for message in messages:
            if type(message) is not dict:
                return None
            words += ["<role>", "<end>"]
            content = message.get("content")
            if type(content) is str:
                words += content.split()
            elif type(content) is list:
                for part in content:
                    if type(part) is dict and type(part.get("text")) is str:
                        words += part["text"].split()
        return words
    prompt = body.get("prompt")
    items = prompt if type(prompt) is list else [prompt]
    for item in items:
        if type(item) is str:
            words += item.split()
        elif type(item) is int:
            words.append(str(item))
        elif type(item) is list:
            words += [str(token) for token in item]
        else:
            return None
    return words


def _first_tool(body: dict[str, Any]) -> str | None:
    """The name of the first function tool a chat request offers, if any."""
    tools = body.get("tools")
    if type(tools) is not list:
        return None
    for tool in tools:
        function = tool.get("function") if type(tool) is dict else None
        if type(function) is dict and type(function.get("name")) is str:
            return function["name"]
    return None


class _Answer:
    """The deterministic answer to one request, as a JSON document or SSE events: one choice
    per prompt and `n` (`choices`) per prompt, each `n_tokens` long (index = prompt * n + k)."""

    def __init__(
        self,
        config: FakeInferenceConfig,
        chat: bool,
        number: int,
        prompts: list[list[str]],
        n_tokens: int,
        choices: int = 1,
        *,
        limited: bool,
    ) -> None:
        self.config = config
        self.chat = chat
        self.id = f"chatcmpl-{number}" if chat else f"cmpl-{number}"
        self.choices: list[list[str]] = []
        for words in prompts:
            source = [w for w in words if w not in ("<role>", "<end>")]
            for k in range(choices):  # choice k starts k words further into its prompt
                self.choices.append(
                    [
                        source[(i + k) % len(source)] if source else f"tok{i}"
                        for i in range(n_tokens)
                    ]
                )
        self.n_tokens = n_tokens
        self.finish_reason = "length" if limited else "stop"
        self.per_prompt = choices
        self.prompt_tokens = [max(1, len(words)) for words in prompts]
        prompt = sum(self.prompt_tokens)
        completion = n_tokens * len(self.choices)
        usage: dict[str, Any] = {
            "prompt_tokens": prompt,
            "total_tokens": prompt + completion,
            "completion_tokens": completion,
        }
        if config.cached_tokens:
            usage["prompt_tokens_details"] = {"cached_tokens": min(config.cached_tokens, prompt)}
        if config.reasoning_tokens:
            usage["completion_tokens_details"] = {
                "reasoning_tokens": min(config.reasoning_tokens, completion)
            }
        self.usage = usage
        self.tool: str | None = None  # the tool a chat answer calls (non-streamed answers)

    @property
    def tokens(self) -> list[str]:
        """The first choice's tokens."""
        return self.choices[0]

    def _envelope(self, obj: str) -> dict[str, Any]:
        c = self.config
        return {"id": self.id, "object": obj, "created": c.created, "model": c.model}

    def _choice(self, index: int, tokens: list[str]) -> dict[str, Any]:
        text = " ".join(tokens)
        if self.chat and self.tool is not None:
            # Function calling: the answer calls the first tool offered, with no arguments.
            call = {
                "id": f"call_{self.id}_{index}",
                "type": "function",
                "function": {"name": self.tool, "arguments": "{}"},
            }
            message = {"role": "assistant", "content": None, "tool_calls": [call]}
            return {"index": index, "message": message, "logprobs": None,
                    "finish_reason": "tool_calls"}  # fmt: skip
        if self.chat:
            message = {"role": "assistant", "content": text}
            return {"index": index, "message": message, "logprobs": None,
                    "finish_reason": self.finish_reason}  # fmt: skip
        return {"index": index, "text": text, "logprobs": None,
                "finish_reason": self.finish_reason}  # fmt: skip

    def whole(self) -> bytes:
        doc = self._envelope("chat.completion" if self.chat else "text_completion")
        doc["choices"] = [self._choice(i, tokens) for i, tokens in enumerate(self.choices)]
        doc["usage"] = self.usage
        return _dumps(doc)

    def ndjson_lines(self) -> list[bytes]:
        """NDJSON: an empty first line slot (so indices match `events`), one line per token
        position (a line per choice), then the usage line."""
        lines = [b""]
        several = len(self.choices) > 1  # one choice: the reference server's exact lines
        for i in range(self.n_tokens):
            line = b""
            for k, tokens in enumerate(self.choices):
                index = b',"index":%d' % k if several else b""
                line += b'{"delta":%b,"i":%d%b}\n' % (_dumps(tokens[i]), i, index)
            lines.append(line)
        lines.append(b'{"usage":%b}\n' % _dumps(self.usage))
        return lines

    def _running_usage(self, choice: int, completion: int) -> bytes:
        """vLLM's continuous usage member: that choice's prompt and tokens so far."""
        prompt = self.prompt_tokens[choice // self.per_prompt]
        return b',"usage":{"prompt_tokens":%d,"total_tokens":%d,"completion_tokens":%d}' % (
            prompt,
            prompt + completion,
            completion,
        )

    def events(self, include_usage: bool, *, continuous: bool = False) -> list[bytes]:
        """SSE, as a list whose items go out together: the role deltas (chat) or empty texts,
        then one item per token position holding each choice's chunk (the last ones carry
        finish_reason), the usage event if asked for, and `[DONE]`. `continuous`: every
        chunk also carries its choice's running usage, as the last member (vLLM's place)."""

        def running(k: int, completion: int) -> bytes:
            return self._running_usage(k, completion) if continuous else b""

        obj = "chat.completion.chunk" if self.chat else "text_completion"
        envelope = _dumps(self._envelope(obj))[:-1]  # open, to append "choices"
        heads, firsts = [], []
        for k in range(len(self.choices)):
            if self.chat:
                heads.append(b'data: %b,"choices":[{"index":%d,"delta":{"content":' % (envelope, k))
                first = (
                    b'data: %b,"choices":[{"index":%d,"delta":{"role":"assistant","content":""},'
                    % (envelope, k)
                )
            else:
                heads.append(b'data: %b,"choices":[{"index":%d,"text":' % (envelope, k))
                first = b'data: %b,"choices":[{"index":%d,"text":"",' % (envelope, k)
            firsts.append(first + b'"logprobs":null,"finish_reason":null}]%b}\n\n' % running(k, 0))
        close = b'"logprobs":null,"finish_reason":%b}]'
        close = (b"}," if self.chat else b",") + close
        more = close % b"null"
        done = close % _dumps(self.finish_reason)
        events = [b"".join(firsts)]
        last = self.n_tokens - 1
        for i in range(self.n_tokens):
            events.append(b"".join(
                heads[k] + _dumps(tokens[i] if i == 0 else " " + tokens[i])
                + (done if i == last else more) + running(k, i + 1) + b"}\n\n"
                for k, tokens in enumerate(self.choices)
            ))  # fmt: skip
        if not self.n_tokens:
            finishes = []
            for k in range(len(self.choices)):
                finish = {"index": k, "logprobs": None, "finish_reason": self.finish_reason}
                finish.update({"delta": {}} if self.chat else {"text": ""})
                finishes.append(
                    b'data: %b,"choices":[%b]%b}\n\n' % (envelope, _dumps(finish), running(k, 0))
                )
            events.append(b"".join(finishes))
        if include_usage:
            events.append(b'data: %b,"choices":[],"usage":%b}\n\n' % (envelope, _dumps(self.usage)))
        events.append(b"data: [DONE]\n\n")
        return events


async def serve_fake_inference(
    config: FakeInferenceConfig = FakeInferenceConfig(),
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    task_status: trio.TaskStatus[FakeInferenceServer] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run the fake server until cancelled; `task_status.started(server)` once it listens
    (`server.port` is the bound port; port 0 picks a free one)."""
    server = FakeInferenceServer(config)
    async with trio.open_nursery() as nursery:
        server.port = await nursery.start(partial(serve_http, server.handle, port, host=host))
        server.host = host
        log.warning(
            "fake inference server (TEST BACKEND, no model: deterministic fake tokens) "
            "serving %r on %s",
            config.model,
            server.url,
        )
        task_status.started(server)
