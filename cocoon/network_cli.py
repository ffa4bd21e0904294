"""`cocoon network`: a whole local network in one process, serving until Ctrl-C.

    cocoon network                  # serve: prints the client's URL and an example request
    cocoon network --once           # send one chat completion, print answer, tokens and cost
    cocoon network --fees zero      # a chain where nothing costs anything (default: mainnet's
                                    # prices and our contracts' measured gas, as on TON)
    cocoon network --plan DIR       # the same network as separate processes: write their
                                    # configs and chain into DIR, print the commands to run
    cocoon network --plan DIR --ledger lite
                                    # the same, the roles on LiteLedgers: the chain service
                                    # serves lite_api too (fake liteservers), each role's
                                    # config names DIR/global.config.json
    cocoon network --plan DIR --listen 0.0.0.0 --proxy-host proxy --proxy-ports 11101:11102 \
        --chain-url http://chain:10090 --inference-url inference:8000
                                    # the same for containers (compose.yaml): roles listen on
                                    # every address and reach each other by name
    cocoon network --disable-ton FAKE_TON_CONFIG [--plan DIR]
                                    # no chain: the reference's fake-TON mode (every role
                                    # reads the root from the file; proxies on its ports)

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
from typing import Any
from urllib.parse import urlencode

from cocoon.roles.chain.cli import add_fees_argument

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
    parser.add_argument(
        "--plan",
        type=Path,
        metavar="DIR",
        help="write the network as separate processes (a chain service, each role with its "
        "JSON config, fake inference servers) into DIR, print the commands, and exit",
    )
    parser.add_argument(
        "--chain-port", type=int, default=10090, help="with --plan: the chain service's port"
    )
    parser.add_argument(
        "--lite-port",
        type=int,
        help="with --plan --ledger lite: the first of the chain service's two liteserver ports "
        "(default: CHAIN_PORT + 1)",
    )
    parser.add_argument(
        "--chain-url",
        help="with --plan: the chain service's URL the roles are given "
        "(default: http://127.0.0.1:CHAIN_PORT)",
    )
    parser.add_argument(
        "--listen",
        default="127.0.0.1",
        metavar="HOST",
        help="the address the roles listen on (with --plan: every role's RPC and HTTP ports; "
        "else the client's API): 0.0.0.0 in a container (default: %(default)s)",
    )
    parser.add_argument(
        "--proxy-host",
        metavar="HOST",
        help="with --plan: the name or address workers and clients reach the proxies at "
        "(their configs list it; the root contract too, where the reference's roles read "
        "IPv4 addresses only); default: 127.0.0.1",
    )
    parser.add_argument(
        "--proxy-ports",
        type=_port_pair,
        metavar="WORKERS:CLIENTS",
        help="with --plan: the first proxy's ports for workers and clients (the next proxies "
        "take the following ones); default: free ones",
    )
    parser.add_argument(
        "--ledger",
        choices=("embedded", "lite"),
        default="embedded",
        help="the roles' ledger: the embedded chain itself, or 'lite': fake liteservers on "
        "loopback serving it in TON's formats, each role on a proof-checking LiteLedger",
    )
    parser.add_argument(
        "--disable-ton",
        type=Path,
        metavar="FAKE_TON_CONFIG",
        help="no chain: the reference's fake-TON mode with this config (e.g. its rendered "
        "/tmp/run/fake-ton-config.json); proxies listen on the ports it registers, the first "
        "nodes take the identities of the reference's cocoon-launch --local-all",
    )
    add_fees_argument(parser)


def _port_pair(text: str) -> tuple[int, int]:
    workers, sep, clients = text.partition(":")
    if not (sep and workers.isdigit() and clients.isdigit()):
        raise argparse.ArgumentTypeError(f"expected WORKERS:CLIENTS ports, got {text!r}")
    return int(workers), int(clients)


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


def plan(args: argparse.Namespace) -> int:
    """`--plan DIR`: deploy the root and fund the wallets on a chain file in DIR, write
    every role's config, and print how to start the processes."""
    import shlex

    import trio

    from cocoon.network import NetworkConfig, fake_ton_proxy_ports, free_port, plan_network
    from cocoon.ton.embedded.fees import FEES_BY_NAME
    from cocoon.ton.embedded.ledger import EmbeddedLedger
    from cocoon.ton.faketon import LOCAL_ALL_ROOT, open_fake_ton

    directory: Path = args.plan
    fake = args.disable_ton
    if fake and args.ledger == "lite":
        print("cocoon network: fake-TON mode has no chain to serve to liteservers", file=sys.stderr)
        return 2
    if (directory / "root.address").exists() or (fake and any(directory.glob("proxy*.json"))):
        print(f"cocoon network: {directory} already holds a network", file=sys.stderr)
        return 2
    directory.mkdir(parents=True, exist_ok=True)
    host = "127.0.0.1"
    fake_ports = [] if args.inference_url else [free_port(host) for _ in range(args.workers)]
    proxy_ports: tuple[tuple[int, int], ...] = ()
    if fake:
        proxy_ports = fake_ton_proxy_ports(fake, args.proxies)
    elif args.proxy_ports:
        workers_port, clients_port = args.proxy_ports
        proxy_ports = tuple(
            (workers_port + 2 * i, clients_port + 2 * i) for i in range(args.proxies)
        )
    elif args.proxy_host:  # ports free here: the proxies' own host may not resolve here
        proxy_ports = tuple((free_port(host), free_port(host)) for _ in range(args.proxies))
    backends = [args.inference_url] * args.workers if args.inference_url else [
        f"{host}:{port}" for port in fake_ports
    ]  # fmt: skip
    config = NetworkConfig(
        proxies=args.proxies,
        workers=args.workers,
        clients=args.clients,
        model=args.model,
        client_http_port=args.port if args.port is not None else 10000,
        fake_ton=fake,
        proxy_ports=proxy_ports,
        fees=FEES_BY_NAME[args.fees],
        host=args.proxy_host or host,  # where the proxies are reached: the root lists it
    )
    chain_file = directory / "ledger.sqlite"

    async def deploy() -> Any:
        if fake:
            ledger = open_fake_ton(fake, LOCAL_ALL_ROOT)
        else:
            ledger = EmbeddedLedger(path=chain_file, fees=config.fees)
        try:
            return await plan_network(config, ledger, directory, backends=backends)
        finally:
            ledger.close()

    planned = _listening_on(trio.run(deploy), args.listen)
    cocoon = f"{shlex.quote(sys.executable)} -m cocoon"
    if fake:
        paths = planned.write_configs(directory, ledger="")
        lines = []
        suffix = f" --disable-ton {shlex.quote(str(fake.resolve()))}"
    else:
        chain_url = args.chain_url or f"http://{host}:{args.chain_port}"
        serve = (
            f"{cocoon} chain serve --path {shlex.quote(str(chain_file))} --port {args.chain_port}"
            f" --fees {args.fees}"
        )
        if args.ledger == "lite":
            lite_port = args.lite_port or args.chain_port + 1
            role_ledger = _plan_lite(directory, host, lite_port)
            serve += f" --lite-port {lite_port}"
        else:
            role_ledger = chain_url
        paths = planned.write_configs(directory, ledger=role_ledger)
        lines = [serve]
        suffix = ""
    lines += [
        f"{cocoon} fake-inference --port {port} --model {shlex.quote(args.model)} "
        f"--token-delay {args.token_delay}"
        for port in fake_ports
    ]
    for role in ("proxy", "worker", "client"):
        lines += [f"{cocoon} {role} {shlex.quote(str(path))}{suffix}" for path in paths[role]]
    print(f"a network of {args.proxies} proxy, {args.workers} worker, {args.clients} client "
          f"in {directory}; run each in its own terminal (or under a supervisor), in this order:")  # fmt: skip
    print("\n".join("  " + line for line in lines))
    print(f"then the OpenAI-compatible API is http://{host}:{config.client_http_port}/v1")
    print("(each role prints its dashboard's URL with its access hash when it starts)")
    return 0


def _plan_lite(directory: Path, host: str, lite_port: int) -> str:
    """The liteservers' keys and the TON global config naming them (the chain service
    rewrites it with its init block when it starts); the `ton:` ledger the roles are given."""
    from cocoon.roles.chain.lite import (
        GLOBAL_CONFIG,
        global_config,
        lite_keys,
        lite_ports,
        write_global_config,
    )

    keys = lite_keys(directory)
    path = (directory / GLOBAL_CONFIG).resolve()
    write_global_config(path, global_config(host, lite_ports(lite_port, len(keys)), keys))
    # The plan's chain makes its nodes' wallets with this project's code.
    return f"ton:{path}?wallet_code=local"


def _listening_on(planned: Any, listen: str) -> Any:
    """`planned` with every role listening on `listen` (RPC and HTTP)."""
    import attrs

    return attrs.evolve(
        planned,
        proxies=tuple(attrs.evolve(c, rpc_host=listen, http_host=listen) for c in planned.proxies),
        workers=tuple(attrs.evolve(c, http_host=listen) for c in planned.workers),
        clients=tuple(attrs.evolve(c, http_host=listen) for c in planned.clients),
    )


def _dashboard(web: Any) -> str:
    """A role's `/stats` URL with the access hash its pages need."""
    return f"{web.url}/stats?{urlencode({'access_hash': web.access_hash})}"


async def _print_lite(net: Any) -> None:
    """What the client's own LiteLedger proves about its channel, and the queries by role."""
    lite = net.lite
    ledger = lite.ledgers.get("client0")
    for channel in net.clients[0].node.channels.values():
        state = await ledger.get_account(channel.address)
        print(
            f"channel: client contract holds {state.balance} nano-TON (proven through "
            f"liteservers at masterchain block {ledger.head.seqno})"
        )
    print(f"liteservers: masterchain head {lite.producer.head.id.seqno}, queries by role:")
    for role, counts in sorted(lite.queries_by_role().items()):
        print(
            f"  {role:10} {sum(counts.values()):5}  "
            + ", ".join(
                f"{name.removeprefix('liteServer.')} {n}" for name, n in counts.most_common()
            )
        )


def run(args: argparse.Namespace) -> int:
    if args.plan is not None:
        return plan(args)
    import trio

    from cocoon.backends.fake import FakeInferenceConfig
    from cocoon.network import NetworkConfig, fake_ton_proxy_ports, open_network
    from cocoon.service import run_service
    from cocoon.ton.embedded.fees import FEES_BY_NAME

    port = args.port if args.port is not None else (0 if args.once else 10000)
    config = NetworkConfig(
        proxies=args.proxies,
        workers=args.workers,
        clients=args.clients,
        model=args.model,
        inference=FakeInferenceConfig(token_delay=args.token_delay),
        inference_url=args.inference_url,
        client_http_port=port,
        client_options={"http_host": args.listen},
        data_dir=args.data_dir,
        fake_ton=args.disable_ton,
        ledger=args.ledger,
        proxy_ports=fake_ton_proxy_ports(args.disable_ton, args.proxies)
        if args.disable_ton
        else (),
        fees=FEES_BY_NAME[args.fees],
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
                code = await _once(url, args.model, args.prompt, args.stream)
                if net.lite is not None:
                    await _print_lite(net)
                return code
            print(f"cocoon network ready in {time.monotonic() - started:.2f} s")
            print(f"  OpenAI-compatible API: {url}/v1   (model {args.model!r}, any API key)")
            print(f"  client dashboard:      {_dashboard(net.clients[0].web)}")
            for i, p in enumerate(net.proxies):
                if p.web:
                    print(f"  proxy {i} dashboard:     {_dashboard(p.web)}")
            for i, w in enumerate(net.workers):
                if w.web:
                    print(f"  worker {i} dashboard:    {_dashboard(w.web)}")
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
