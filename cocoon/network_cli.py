"""`cocoon network`: a whole local network in one process, serving until Ctrl-C.

    cocoon network                  # serve: prints the client's URL and an example request
    cocoon network --once           # send one chat completion, print answer, tokens and cost

Everything runs on 127.0.0.1: the embedded ledger with a root contract, proxies, workers in
front of the in-package fake inference server (a TEST backend; `--inference-url` puts a real
OpenAI-compatible server there instead), clients with their OpenAI-compatible API, RA-TLS
with fake TDX attestation on every hop, payments settling on the embedded ledger.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

MODEL = "Qwen/Qwen3-8B"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--once", action="store_true", help="send one chat completion, print it, exit"
    )
    parser.add_argument("--prompt", default="Hello! Who are you?", help="the message --once sends")
    parser.add_argument("--stream", action="store_true", help="with --once: stream the answer")
    parser.add_argument("--proxies", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--model", default=MODEL, help="the model the workers serve")
    parser.add_argument(
        "--port", type=int, default=None, help="the client's API port (default 10000; 0 = any)"
    )
    parser.add_argument(
        "--token-delay", type=float, default=0.02, help="fake server: seconds per token"
    )
    parser.add_argument(
        "--inference-url", help="a real OpenAI-compatible server (host:port) instead of the fake"
    )
    parser.add_argument(
        "--data-dir", type=Path, help="keep the chain and databases here (restartable)"
    )


def _example(url: str, model: str) -> str:
    body = json.dumps(
        {"model": model, "messages": [{"role": "user", "content": "Hello!"}], "max_tokens": 32}
    )
    return f"curl -s {url}/v1/chat/completions -H 'Content-Type: application/json' -d '{body}'"


async def _once(url: str, model: str, prompt: str, stream: bool) -> int:
    from urllib.parse import urlsplit

    from cocoon.http.client import HttpClient

    parts = urlsplit(url)
    body = {"model": model, "messages": [{"role": "user", "content": prompt}], "max_tokens": 32}
    if stream:
        body |= {"stream": True}
    async with HttpClient(parts.hostname, parts.port) as http:
        started = time.monotonic()
        async with http.request(
            "POST",
            "/v1/chat/completions",
            headers=[("Content-Type", "application/json")],
            body=json.dumps(body).encode(),
        ) as resp:
            data = await resp.read()
        elapsed = time.monotonic() - started
    if resp.status != 200:
        print(
            f"request failed: HTTP {resp.status}: {data.decode(errors='replace')}", file=sys.stderr
        )
        return 1
    if stream:
        text, usage = "", {}
        for line in data.decode().splitlines():
            if line.startswith("data: ") and line != "data: [DONE]":
                event = json.loads(line[6:])
                for choice in event.get("choices", []):
                    text += choice.get("delta", {}).get("content") or ""
                usage = event.get("usage") or usage
    else:
        answer = json.loads(data)
        text = answer["choices"][0]["message"]["content"]
        usage = answer.get("usage", {})
    print(f"answer:  {text}")
    print(
        f"tokens:  prompt {usage.get('prompt_tokens')}, completion {usage.get('completion_tokens')}, "
        f"total {usage.get('total_tokens')} (adjusted: {usage.get('cocoon_adjusted_tokens')})"
    )
    print(f"cost:    {usage.get('total_cost')} nano-TON (prompt {usage.get('prompt_total_cost')}, "
          f"completion {usage.get('completion_total_cost')})")  # fmt: skip
    print(f"time:    {elapsed * 1000:.1f} ms through client -> proxy -> worker -> inference server")
    return 0 if usage.get("total_cost") is not None else 1


def run(args: argparse.Namespace) -> int:
    import trio

    from cocoon.backends.fake import FakeInferenceConfig
    from cocoon.network import NetworkConfig, open_network
    from cocoon.service import run_service

    port = args.port if args.port is not None else (0 if args.once else 10000)
    config = NetworkConfig(
        proxies=args.proxies,
        workers=args.workers,
        clients=args.clients,
        model=args.model,
        inference=FakeInferenceConfig(token_delay=args.token_delay),
        inference_url=args.inference_url,
        client_http_port=port,
        data_dir=args.data_dir,
    )

    async def main() -> int:
        started = time.monotonic()
        async with open_network(config) as net:
            await net.wait_ready()
            url = net.client_url
            if args.once:
                print(
                    f"network up in {time.monotonic() - started:.2f} s: {args.proxies} proxy, {args.workers} worker, {args.clients} client"
                )
                return await _once(url, args.model, args.prompt, args.stream)
            print(f"cocoon network ready in {time.monotonic() - started:.2f} s")
            print(f"  OpenAI-compatible API: {url}/v1   (model {args.model!r}, any API key)")
            print(f"  client dashboard:      {url}/stats")
            for i, p in enumerate(net.proxies):
                if p.web:
                    print(f"  proxy {i} dashboard:     {p.web.url}/stats")
            for i, w in enumerate(net.workers):
                if w.web:
                    print(f"  worker {i} dashboard:    {w.web.url}/stats")
            print(f"  data:                  {net.data_dir}")
            print(
                "\nTry:\n  " + _example(url, args.model) + "\n\nCtrl-C stops the network.",
                flush=True,
            )
            await trio.sleep_forever()
        return 0

    try:
        return run_service(main) or 0
    except KeyboardInterrupt:
        return 130
