#!/usr/bin/env python3
"""A soak / chaos run of a whole network in one process, checking invariants at the end.

    .venv/bin/python scripts/soak.py                 # 3 minutes, 20 requests in flight
    .venv/bin/python scripts/soak.py --duration 60 --concurrency 8 --seed 1

Builds 2 proxies, 3 workers (fast fake backends) and 2 clients (`open_network`) and, for
`--duration` seconds, drives the clients' HTTP APIs with a random mix: chat and completions,
whole and streamed (with and without `stream_options.include_usage`), varied `max_tokens`;
callers that leave mid-stream, mid-body or before the answer; short caller-side timeouts and
short `timeout` fields; invalid bodies and unknown models. Meanwhile a chaos task makes
backends fail for a while (error, close, garbage, hang), stops and restarts a worker, and
restarts a proxy. Then a quiet phase of clean requests, a wait for payments to settle, and
the checks:

* every call ended within its own bound (no hang);
* no unexpected status, malformed answer or wrong usage (adjusted tokens, cost);
* no ERROR log record and no traceback (WARNING and ERROR messages are listed);
* running counters back to 0 on clients, proxies, workers and backends;
* tokens: per proxy, clients' total == workers' total; each client's receipts == the
  proxy's counter for it; the counters' order (chain <= blockchain <= db <= max); in the
  quiet phase, what the callers saw in `usage` == what /jsonstats and the proxies counted;
* memory (RSS, Python objects), open file descriptors and trio tasks back near the baseline;
* the network closes without an error.

Prints the figures; exits 1 when an invariant was violated. Nothing is timed against a bound
other than the hang bound, which is generous (the machine may be busy).
"""

from __future__ import annotations

import argparse
import collections
import gc
import json
import logging
import os
import random
import sys
import time
import traceback
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import httpx
import trio

from cocoon.backends.fake import FakeInferenceConfig
from cocoon.network import Network, NetworkConfig, open_network

MODEL = "Qwen/Qwen3-8B"
PRICE = 2  # nano-TON per adjusted token (NetworkConfig.price_per_token)
REQUEST_TIMEOUT = 8.0  # the `timeout` field of ordinary requests (seconds)
HANG_BOUND = REQUEST_TIMEOUT + 22.0  # a call still running after this is a hang
WORDS = "the quick brown fox jumps over the lazy dog".split()


# ------------------------------------------------------------------ log capture


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: collections.Counter[tuple[str, str, str]] = collections.Counter()
        self.examples: dict[tuple[str, str, str], str] = {}
        self.tracebacks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        key = (record.levelname, record.name, str(record.msg))
        self.counts[key] += 1
        if key not in self.examples:
            try:
                self.examples[key] = record.getMessage()[:300]
            except Exception:  # a bad format string is itself worth seeing
                self.examples[key] = repr(record.msg)[:300]
        if record.exc_info and len(self.tracebacks) < 20:
            self.tracebacks.append(
                f"{record.name}: {record.getMessage()[:200]}\n"
                + "".join(traceback.format_exception(*record.exc_info))
            )


# ------------------------------------------------------------------ results


@attrs.define
class Results:
    outcomes: collections.Counter[str] = attrs.field(factory=collections.Counter)
    violations: list[str] = attrs.field(factory=list)
    hangs: list[str] = attrs.field(factory=list)
    seen_tokens: int = 0  # cocoon_adjusted_tokens in answers the callers read whole
    calls: int = 0
    longest: float = 0.0

    def bad(self, message: str) -> None:
        if len(self.violations) < 200:
            self.violations.append(message)
        self.outcomes["VIOLATION"] += 1


def check_usage(usage: dict[str, Any] | None, where: str, res: Results, *, n_tokens: int | None):
    if usage is None:
        res.bad(f"{where}: no usage")
        return
    p, c = usage.get("prompt_tokens"), usage.get("completion_tokens")
    adj, cost = usage.get("cocoon_adjusted_tokens"), usage.get("total_cost")
    if not all(type(v) is int for v in (p, c, adj, cost)):
        res.bad(f"{where}: usage fields missing or not integers: {usage}")
        return
    if usage.get("total_tokens") != p + c:
        res.bad(f"{where}: total_tokens != prompt + completion: {usage}")
    if adj != p + c:  # coefficient 1000, multipliers 1.0
        res.bad(f"{where}: cocoon_adjusted_tokens {adj} != {p + c}: {usage}")
    if cost != adj * PRICE:
        res.bad(f"{where}: total_cost {cost} != {adj} * {PRICE}")
    if n_tokens is not None and c != n_tokens:
        res.bad(f"{where}: completion_tokens {c}, asked for {n_tokens}")
    res.seen_tokens += adj


def body_for(chat: bool, max_tokens: int | None, **extra: Any) -> dict[str, Any]:
    text = " ".join(random.choices(WORDS, k=random.randint(1, 12)))
    body: dict[str, Any] = {"model": MODEL, "timeout": REQUEST_TIMEOUT}
    if chat:
        body["messages"] = [{"role": "user", "content": text}]
    else:
        body["prompt"] = text
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    body.update(extra)
    return body


def path_of(chat: bool) -> str:
    return "/v1/chat/completions" if chat else "/v1/completions"


# The statuses a well-formed request may get while the chaos task breaks things.
CHAOS_STATUSES = {502, 503, 504, 429}
GARBAGE = "\x00<html>not json"  # what the fake backend answers in its "garbage" fail mode


def parse_sse(text: str) -> tuple[list[dict[str, Any]], bool]:
    events, done = [], False
    for block in text.split("\n\n"):
        block = block.strip()
        if not block:
            continue
        if not block.startswith("data: "):
            raise ValueError(f"not an SSE data event: {block[:80]!r}")
        data = block[6:]
        if data == "[DONE]":
            if done:
                raise ValueError("two [DONE]")
            done = True
            continue
        if done:
            raise ValueError("an event after [DONE]")
        events.append(json.loads(data))
    return events, done


# ------------------------------------------------------------------ request kinds


class Driver:
    def __init__(
        self, urls: list[str], res: Results, clean: bool = False, tokens: list[str] | None = None
    ) -> None:
        self.urls = urls
        self.res = res
        self.clean = clean  # quiet phase: everything must succeed
        # The pages' access hashes (`/jsonstats`), sent as X-Access-Hash.
        heads = [{"X-Access-Hash": t} for t in tokens] if tokens else [{} for _ in urls]
        self.http = [
            httpx.AsyncClient(base_url=u, timeout=HANG_BOUND, headers=h)
            for u, h in zip(urls, heads, strict=True)
        ]

    async def aclose(self) -> None:
        for h in self.http:
            await h.aclose()

    def _client(self) -> tuple[int, httpx.AsyncClient]:
        i = random.randrange(len(self.http))
        return i, self.http[i]

    def _status_ok(self, status: int, where: str, text: str) -> bool:
        if not self.clean and (
            (status == 500 and "injected failure" in text) or GARBAGE in text
        ):  # the failing backend's own answer, passed through (spec 40 section 3)
            self.res.outcomes[f"upstream failure passed through ({status})"] += 1
            return False
        if status == 200:
            return True
        if status in CHAOS_STATUSES and not self.clean:
            self.res.outcomes[f"{where}: {status}"] += 1
            return False
        self.res.bad(f"{where}: unexpected status {status}: {text[:300]}")
        return False

    async def whole(self, chat: bool) -> None:
        n = random.choice([0, 1, 2, 5, 16, 40, 100])
        where = f"whole {'chat' if chat else 'completion'} max_tokens={n}"
        _, http = self._client()
        r = await http.post(path_of(chat), json=body_for(chat, n))
        if not self._status_ok(r.status_code, where, r.text):
            return
        try:
            doc = r.json()
        except ValueError:
            self.res.bad(f"{where}: 200 with a body that is not JSON: {r.text[:200]!r}")
            return
        check_usage(doc.get("usage"), where, self.res, n_tokens=n)
        self.res.outcomes["whole ok"] += 1

    async def stream(self, chat: bool, include_usage: bool) -> None:
        n = random.choice([0, 1, 3, 16, 60])
        extra: dict[str, Any] = {"stream": True}
        if include_usage:
            extra["stream_options"] = {"include_usage": True}
        where = f"stream {'chat' if chat else 'completion'} usage={include_usage} max_tokens={n}"
        _, http = self._client()
        async with http.stream("POST", path_of(chat), json=body_for(chat, n, **extra)) as r:
            raw = await r.aread()
        text = raw.decode()
        if not self._status_ok(r.status_code, where, text):
            return
        try:
            events, done = parse_sse(text)
        except ValueError as e:
            self.res.bad(f"{where}: malformed SSE ({e}): {text[-300:]!r}")
            return
        errors = [e for e in events if "error" in e]
        if not done:
            self.res.bad(f"{where}: no [DONE]: {text[-300:]!r}")
            return
        if errors:
            if self.clean:
                self.res.bad(f"{where}: error event in the quiet phase: {errors[0]}")
            else:
                self.res.outcomes[
                    f"stream error event: {errors[0]['error'].get('message', '')[:60]}"
                ] += 1
            return
        usages = [e["usage"] for e in events if e.get("usage")]
        pieces = 0
        for e in events:
            for ch in e.get("choices") or ():
                piece = (ch.get("delta") or {}).get("content") if chat else ch.get("text")
                if piece:
                    pieces += 1
        if pieces != n:
            self.res.bad(f"{where}: {pieces} non-empty pieces, asked for {n}")
        if include_usage:
            if len(usages) != 1:
                self.res.bad(f"{where}: {len(usages)} usage events")
            else:
                check_usage(usages[0], where, self.res, n_tokens=n)
        self.res.outcomes["stream ok"] += 1

    async def leave_mid_stream(self) -> None:
        chat = random.random() < 0.5
        body = body_for(chat, random.choice([50, 200]), stream=True)
        _, http = self._client()
        async with http.stream("POST", path_of(chat), json=body) as r:
            k = random.randint(0, 5)
            async for _ in r.aiter_raw():
                k -= 1
                if k <= 0:
                    break
        # leaving the block closes the connection: the response was not read to its end
        self.res.outcomes["left mid-stream"] += 1

    async def leave_raw(self) -> None:
        """A raw socket: part of the body then close, or the whole request then close after
        a moment (before or during the answer)."""
        i, _ = self._client()
        url = httpx.URL(self.urls[i])
        body = json.dumps(body_for(random.random() < 0.5, random.choice([20, 200]))).encode()
        head = (
            f"POST /v1/chat/completions HTTP/1.1\r\nHost: {url.host}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        stream = await trio.open_tcp_stream(url.host, url.port)
        try:
            if random.random() < 0.4:
                await stream.send_all(head + body[: len(body) // 2])
                self.res.outcomes["left mid-body"] += 1
            else:
                await stream.send_all(head + body)
                await trio.sleep(random.choice([0, 0.01, 0.05, 0.2]))
                self.res.outcomes["left before/while answer"] += 1
        finally:
            await stream.aclose()

    async def caller_timeout(self) -> None:
        chat = random.random() < 0.5
        body = body_for(chat, 200, stream=random.random() < 0.5)
        _, http = self._client()
        try:
            await http.post(
                path_of(chat), json=body, timeout=httpx.Timeout(random.choice([0.01, 0.05, 0.3]))
            )
            self.res.outcomes["caller timeout: answered in time"] += 1
        except httpx.TimeoutException:
            self.res.outcomes["caller timeout"] += 1

    async def short_timeout_field(self) -> None:
        chat = random.random() < 0.5
        stream = random.random() < 0.5
        body = body_for(chat, 400, stream=stream)
        body["timeout"] = random.choice([0.05, 0.2, 0.5])
        _, http = self._client()
        r = await http.post(path_of(chat), json=body)
        if not self._status_ok(r.status_code, "short timeout field", r.text):
            return
        if r.status_code == 200:
            if stream and '"error"' in r.text:
                self.res.outcomes["short timeout field: SSE error"] += 1
            else:
                self.res.outcomes["short timeout field: 200"] += 1
        elif r.status_code in (504, 503, 502):
            self.res.outcomes[f"short timeout field: {r.status_code}"] += 1
        else:
            self.res.bad(f"short timeout field: status {r.status_code}: {r.text[:200]}")

    async def invalid(self) -> None:
        choice = random.randrange(8)
        content: bytes
        if choice == 0:
            content = b"{not json"
        elif choice == 1:
            content = b"[1, 2, 3]"
        elif choice == 2:
            content = json.dumps({"model": MODEL}).encode()  # no messages
        elif choice == 3:
            content = json.dumps(body_for(True, -1)).encode()
        elif choice == 4:
            content = json.dumps(body_for(True, 5, timeout="soon")).encode()
        elif choice == 5:
            content = json.dumps({"model": 5, "messages": []}).encode()
        elif choice == 6:
            content = json.dumps(body_for(True, 5, messages="hi")).encode()
        else:
            content = b"\xff\xfe\x00garbage"
        _, http = self._client()
        r = await http.post(
            "/v1/chat/completions", content=content, headers={"Content-Type": "application/json"}
        )
        if r.status_code != 400:
            self.res.bad(f"invalid body #{choice}: status {r.status_code}: {r.text[:200]}")
            return
        try:
            err = r.json()["error"]
            assert isinstance(err["message"], str)
        except Exception:
            self.res.bad(f"invalid body #{choice}: not an OpenAI error: {r.text[:200]}")
            return
        self.res.outcomes["invalid body: 400"] += 1

    async def unknown_model(self) -> None:
        chat = random.random() < 0.5
        body = body_for(chat, 5, model=f"no/such-model-{random.randrange(3)}")
        _, http = self._client()
        r = await http.post(path_of(chat), json=body)
        if r.status_code != 404 and not (r.status_code in CHAOS_STATUSES and not self.clean):
            self.res.bad(f"unknown model: status {r.status_code}: {r.text[:200]}")
            return
        self.res.outcomes[f"unknown model: {r.status_code}"] += 1

    async def pages(self) -> None:
        _, http = self._client()
        for path in ("/jsonstats", "/health", "/v1/models"):
            r = await http.get(path)
            if r.status_code not in (200, 503):
                self.res.bad(f"GET {path}: {r.status_code}: {r.text[:200]}")

    async def one(self, kind: str) -> None:
        """One call of `kind`, bounded: a call over HANG_BOUND is a hang."""
        began = trio.current_time()
        res = self.res
        res.calls += 1
        with trio.move_on_after(HANG_BOUND + 5) as scope:
            try:
                if kind == "whole":
                    await self.whole(random.random() < 0.5)
                elif kind == "stream":
                    usage = self.clean or random.random() < 0.7  # quiet phase: all usage seen
                    await self.stream(random.random() < 0.5, usage)
                else:
                    await getattr(self, kind)()
            except httpx.TimeoutException as e:
                res.hangs.append(f"{kind}: httpx timeout after {HANG_BOUND} s ({e!r})")
            except (httpx.TransportError, OSError, trio.BrokenResourceError) as e:
                if self.clean:
                    res.bad(f"{kind}: transport error in the quiet phase: {e!r}")
                else:
                    res.outcomes[f"{kind}: transport error {type(e).__name__}"] += 1
            except Exception as e:
                res.bad(f"{kind}: {type(e).__name__}: {e}\n{traceback.format_exc()}")
        if scope.cancelled_caught:
            res.hangs.append(f"{kind}: still running after {HANG_BOUND + 5} s")
        res.longest = max(res.longest, trio.current_time() - began)


KINDS = {
    "whole": 30,
    "stream": 30,
    "leave_mid_stream": 8,
    "leave_raw": 6,
    "caller_timeout": 6,
    "short_timeout_field": 5,
    "invalid": 5,
    "unknown_model": 4,
    "pages": 2,
}


# ------------------------------------------------------------------ figures


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def open_fds() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return -1


def task_names() -> collections.Counter[str]:
    names: collections.Counter[str] = collections.Counter()
    stack = [trio.lowlevel.current_root_task()]
    while stack:
        task = stack.pop()
        if task is None:
            continue
        names[task.name.rsplit(".", 1)[-1]] += 1
        for nursery in task.child_nurseries:
            stack.extend(nursery.child_tasks)
    return names


DETAILS: dict[str, tuple[collections.Counter[str], collections.Counter[str]]] = {}


def sample(label: str = "") -> dict[str, int]:
    gc.collect()
    objects = gc.get_objects()
    tasks = task_names()
    if label:  # what the end is compared with, kind by kind
        DETAILS[label] = (tasks, collections.Counter(type(o).__qualname__ for o in objects))
    return {
        "rss_kib": rss_kib(),
        "objects": len(objects),
        "fds": open_fds(),
        "tasks": sum(tasks.values()),
    }


def growth(before: collections.Counter[str], after: collections.Counter[str], n: int = 12) -> str:
    diff = collections.Counter({k: after[k] - before[k] for k in after if after[k] > before[k]})
    return ", ".join(f"{k} +{v}" for k, v in diff.most_common(n)) or "none"


def running_counts(net: Network) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, c in enumerate(net.clients):
        out[f"client{i} link requests"] = sum(len(lk.requests) for lk in c.node.links)
        out[f"client{i} channels busy"] = sum(bool(ch.busy) for ch in c.node.channels.values())
    for i, p in enumerate(net.proxies):
        node = p.node
        out[f"proxy{i} requests"] = len(node.requests)
        out[f"proxy{i} client running"] = sum(a.running for a in node.clients.values())
        out[f"proxy{i} client reserved"] = sum(a.reserved for a in node.clients.values())
        out[f"proxy{i} worker-account running"] = sum(a.running for a in node.workers.values())
        out[f"proxy{i} client-session requests"] = sum(
            len(getattr(s, "requests", ())) for s in node.connections
        )
        out[f"proxy{i} connection running"] = sum(
            c.running for c in node.registry.connections.values()
        )
    for i, w in enumerate(net.workers):
        out[f"worker{i} active"] = w.node.ctx.active
    for i, b in enumerate(net.backends):
        out[f"backend{i} active"] = b.stats.active
    return out


def token_checks(net: Network, res: Results, *, final: bool) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for i, p in enumerate(net.proxies):
        node = p.node
        clients = sum(a.tokens.tokens_max for a in node.clients.values())
        workers = sum(a.tokens.tokens_max for a in node.workers.values())
        figures[f"proxy{i}"] = {
            "clients tokens_max": clients,
            "workers tokens_max": workers,
            "stats total_adjusted_tokens_used": node.stats["total_adjusted_tokens_used"].total,
            "stats queries": node.stats["queries"].total,
            "success": node.stats["success"].total,
            "failed": node.stats["failed"].total,
            "rejected": node.stats["rejected"].total,
            "clients sc_tokens (on-chain)": sum(a.tokens.sc_tokens for a in node.clients.values()),
            "workers sc_tokens (on-chain)": sum(a.tokens.sc_tokens for a in node.workers.values()),
        }
        if final and clients != workers:
            res.bad(f"proxy{i}: clients' tokens {clients} != workers' tokens {workers}")
        for kind, accounts in (("client", node.clients), ("worker", node.workers)):
            for key, a in accounts.items():
                t = a.tokens
                order = (t.sc_tokens, t.tokens_committed_to_blockchain,
                         t.tokens_committed_to_db, t.tokens_max)  # fmt: skip
                if list(order) != sorted(order):
                    res.bad(f"proxy{i} {kind} {key[:12]}: counters out of order {order}")
    for i, c in enumerate(net.clients):
        rows = []
        for link in c.node.links:
            if link.proxy_sc is None:
                continue
            proxy = next(
                (p for p in net.proxies if p.node.contract is not None
                 and p.node.sc_address.to_str(is_user_friendly=False) == link.proxy_sc),
                None,
            )  # fmt: skip
            acc = None
            if proxy is not None:
                owner = c.node.wallet.address
                acc = next(
                    (a for a in proxy.node.clients.values() if a.owner_address == owner), None
                )
            rows.append(
                {
                    "receipt max_tokens": link.max_tokens,
                    "receipt db_tokens": link.db_tokens,
                    "signed": link.signed_tokens,
                    "proxy tokens_max": acc.tokens.tokens_max if acc else None,
                }
            )
            if (
                final
                and acc is not None
                and link.ready
                and link.max_tokens != acc.tokens.tokens_max
            ):
                res.bad(
                    f"client{i}: receipts say {link.max_tokens} tokens, the proxy counts "
                    f"{acc.tokens.tokens_max}"
                )
        st = c.node.stats
        if final and st["queries"].total != st["success"].total + st["failed"].total:
            res.bad(
                f"client{i} /jsonstats: queries {st['queries'].total} != success "
                f"{st['success'].total} + failed {st['failed'].total}"
            )
        figures[f"client{i}"] = {
            "stats tokens": c.node.stats["tokens"].total,
            "stats cost": c.node.stats["cost"].total,
            "queries": c.node.stats["queries"].total,
            "success": c.node.stats["success"].total,
            "failed": c.node.stats["failed"].total,
            "links": rows,
        }
    for i, w in enumerate(net.workers):
        s = w.node.ctx.stats
        figures[f"worker{i}"] = {
            "queries": s["queries"].total,
            "total_adjusted_tokens_used": s["total_adjusted_tokens_used"].total,
        }
    return figures


def totals(net: Network) -> dict[str, int]:
    return {
        "client stats tokens": sum(c.node.stats["tokens"].total for c in net.clients),
        "proxy stats tokens": sum(
            p.node.stats["total_adjusted_tokens_used"].total for p in net.proxies
        ),
        "proxy clients tokens_max": sum(
            a.tokens.tokens_max for p in net.proxies for a in p.node.clients.values()
        ),
        "worker stats tokens": sum(
            w.node.ctx.stats["total_adjusted_tokens_used"].total for w in net.workers
        ),
    }


# ------------------------------------------------------------------ chaos


async def chaos(net: Network, duration: float, log: list[str], *, proxy_restart: bool) -> None:
    t0 = trio.current_time()

    async def at(fraction: float) -> None:
        await trio.sleep_until(t0 + duration * fraction)

    def say(what: str) -> None:
        log.append(f"{trio.current_time() - t0:6.1f}s {what}")
        print(f"  chaos {log[-1]}", flush=True)

    backend = net.backends[0]
    base = backend.config
    for fraction, mode, every, hold in (
        (0.15, "error", 2, 0.06),
        (0.25, "close", 2, 0.06),
        (0.35, "garbage", 3, 0.05),
        (0.45, "hang", 4, 0.05),
    ):
        await at(fraction)
        say(f"backend0 fails: {mode} every {every}")
        backend.config = attrs.evolve(base, fail_mode=mode, fail_every=every)
        await at(fraction + hold)
        backend.config = base
        say("backend0 healthy")
    await at(0.55)
    slot = net.worker_slots[1]
    say("worker1 stopped")
    await slot.stop()
    await trio.sleep(5)
    await slot.start()
    say("worker1 restarted")
    if proxy_restart and len(net.proxy_slots) > 1:
        await at(0.7)
        say("proxy1 stopped")
        await net.proxy_slots[1].stop()
        await trio.sleep(3)
        await net.proxy_slots[1].start()
        say("proxy1 restarted")
    await at(0.85)
    say("worker2 restarted at once")
    await net.worker_slots[2].restart()


# ------------------------------------------------------------------ main


async def drive(driver: Driver, stop_at: float, kinds: dict[str, int]) -> None:
    names, weights = list(kinds), list(kinds.values())
    while trio.current_time() < stop_at:
        await driver.one(random.choices(names, weights)[0])


async def wait_quiet(net: Network, bound: float) -> dict[str, int]:
    with trio.move_on_after(bound):
        while any(running_counts(net).values()):  # noqa: ASYNC110 - state across roles
            await trio.sleep(0.2)
    return running_counts(net)


async def run(args: argparse.Namespace, capture: Capture) -> int:
    res = Results()
    chaos_log: list[str] = []
    samples: list[tuple[str, dict[str, int]]] = []
    config = NetworkConfig(
        proxies=2,
        workers=3,
        clients=2,
        inference=FakeInferenceConfig(token_delay=0.002, first_token_delay=0.005),
        min_client_charge=args.min_charge,
        min_worker_payout=args.min_charge,
    )
    t_open = time.monotonic()
    async with open_network(config) as net:
        print(f"network ready in {time.monotonic() - t_open:.1f} s: {len(net.proxies)} proxies, "
              f"{len(net.workers)} workers, {len(net.clients)} clients", flush=True)  # fmt: skip
        urls = [c.url for c in net.clients]
        tokens = [c.web.access_hash for c in net.clients]
        # warm-up: connections, channels and caches, then the baseline
        warm = Driver(urls, res, clean=True, tokens=tokens)
        for _ in range(20):
            await warm.one("whole")
            await warm.one("stream")
        await warm.aclose()
        await wait_quiet(net, 20)
        samples.append(("baseline", sample("baseline")))
        print(f"baseline: {samples[-1][1]}", flush=True)

        driver = Driver(urls, res, tokens=tokens)
        stop_at = trio.current_time() + args.duration
        async with trio.open_nursery() as nursery:
            nursery.start_soon(
                partial(
                    chaos, net, args.duration, chaos_log, proxy_restart=not args.no_proxy_restart
                )
            )
            for _ in range(args.concurrency):
                nursery.start_soon(drive, driver, stop_at, KINDS)

            async def sampler() -> None:
                while trio.current_time() < stop_at:
                    await trio.sleep(args.duration / 6)
                    s = sample()
                    samples.append((f"t+{args.duration - (stop_at - trio.current_time()):.0f}s", s))
                    print(f"  sample {samples[-1][0]}: {s} calls={res.calls} "
                          f"violations={len(res.violations)} hangs={len(res.hangs)}", flush=True)  # fmt: skip

            nursery.start_soon(sampler)
        await driver.aclose()
        print(f"chaos phase over: {res.calls} calls", flush=True)

        # Everything back and serving, then the quiet phase: exact token checks.
        with trio.move_on_after(60):
            await net.wait_ready()
        if not net.ready():
            res.bad("the network is not ready 60 s after the chaos phase")
        running = await wait_quiet(net, 30)
        stuck = {k: v for k, v in running.items() if v}
        if stuck:
            res.bad(f"running counters not back to 0 after the chaos phase: {stuck}")
        await trio.sleep(2)
        before = totals(net)
        seen_before = res.seen_tokens
        quiet = Driver(urls, res, clean=True, tokens=tokens)
        async with trio.open_nursery() as nursery:
            for _ in range(4):

                async def clean_batch() -> None:
                    for _ in range(15):
                        await quiet.one(random.choice(["whole", "stream"]))

                nursery.start_soon(clean_batch)
        await quiet.aclose()
        await wait_quiet(net, 30)
        await trio.sleep(args.settle)  # receipts, DB writes, charges and payouts
        after = totals(net)
        seen = res.seen_tokens - seen_before
        delta = {k: after[k] - before[k] for k in after}
        print(f"quiet phase: callers saw {seen} adjusted tokens; deltas {delta}", flush=True)
        for name in ("client stats tokens", "proxy stats tokens", "proxy clients tokens_max"):
            if delta[name] != seen:
                res.bad(f"quiet phase: {name} grew by {delta[name]}, callers saw {seen}")

        running = running_counts(net)
        stuck = {k: v for k, v in running.items() if v}
        if stuck:
            res.bad(f"running counters not back to 0 at the end: {stuck}")
        figures = token_checks(net, res, final=True)
        samples.append(("end", sample("end")))
        print("\n== figures ==")
        print(json.dumps(figures, indent=1))
    print("network closed cleanly", flush=True)

    base, end = samples[0][1], samples[-1][1]
    print("\n== resources ==")
    for label, s in samples:
        print(f"  {label:>10}: {s}")
    print(f"  tasks grown: {growth(DETAILS['baseline'][0], DETAILS['end'][0])}")
    print(f"  objects grown: {growth(DETAILS['baseline'][1], DETAILS['end'][1])}")
    # Generous bounds: growth without bound over a few minutes shows as many times these.
    # Workers keep idle keep-alive connections to their backends (dropped lazily, at the
    # next use after `keepalive_expiry`): up to about one per call that was in flight, each
    # two descriptors and two server tasks (its connection and its reader) here.
    pooled = args.concurrency
    if end["tasks"] > base["tasks"] + 2 * pooled + 10:
        res.bad(f"trio tasks {base['tasks']} -> {end['tasks']}")
    if end["fds"] > base["fds"] + 2 * pooled + 20:
        res.bad(f"open file descriptors {base['fds']} -> {end['fds']}")
    if end["rss_kib"] > base["rss_kib"] + 200 * 1024:
        res.bad(f"RSS {base['rss_kib']} KiB -> {end['rss_kib']} KiB")

    print("\n== outcomes ==")
    for k, v in sorted(res.outcomes.items(), key=lambda kv: -kv[1]):
        print(f"  {v:6d}  {k}")
    print(f"  calls {res.calls}, longest {res.longest:.1f} s")
    print("\n== chaos ==")
    for line in chaos_log:
        print("  " + line)
    print("\n== log records at WARNING and above (distinct) ==")
    for (level, name, _), n in sorted(capture.counts.items(), key=lambda kv: -kv[1]):
        print(f"  {n:5d} {level:8} {name}: {capture.examples[(level, name, _)]}")
        if level in ("ERROR", "CRITICAL"):
            res.bad(f"log {level} {name}: {capture.examples[(level, name, _)]}")
    if capture.tracebacks:
        print("\n== tracebacks in logs ==")
        for tb in capture.tracebacks:
            print(tb)
        res.bad(f"{len(capture.tracebacks)} log records carried a traceback")
    if res.hangs:
        print("\n== HANGS ==")
        for h in res.hangs[:50]:
            print("  " + h)
    if res.violations:
        print("\n== VIOLATIONS ==")
        for v in res.violations:
            print("  " + v)
    ok = not res.violations and not res.hangs
    print("\nOK" if ok else f"\nFAILED: {len(res.violations)} violations, {len(res.hangs)} hangs")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=180.0, help="chaos phase, seconds")
    parser.add_argument("--concurrency", type=int, default=20, help="calls in flight")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--settle", type=float, default=5.0, help="seconds to let payments land")
    parser.add_argument("--min-charge", type=int, default=2000, help="nano-TON charge threshold")
    parser.add_argument("--no-proxy-restart", action="store_true")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    random.seed(seed)
    print(f"soak: seed {seed}, {args.duration:.0f} s, {args.concurrency} in flight", flush=True)
    capture = Capture()
    logging.basicConfig(
        level=logging.WARNING,
        format="%(relativeCreated)8.0f ms %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger().addHandler(capture)
    if os.environ.get("SOAK_QUIET_LOGS"):
        logging.getLogger().handlers[0].setLevel(logging.CRITICAL)
    try:
        return trio.run(run, args, capture)
    except BaseException as e:  # the network did not close cleanly, or the run broke
        print("\nFAILED: the run raised:")
        traceback.print_exception(e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
