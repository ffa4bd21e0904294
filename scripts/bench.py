#!/usr/bin/env python3
"""What the network costs on top of the inference server (issues 8, 17): a table and a JSON file.

    nox -s bench  (or: python3 dev.py bench) # the whole run, both layouts, about 4 minutes
    python scripts/bench.py --quick          # shorter wrk runs, fewer idle connections
    python scripts/bench.py --layouts router # one layout only
    python scripts/bench.py --hold --layouts ours  # start the network, print its pids, wait
    python scripts/bench.py --repeat 3       # each wrk case 3 times, the median kept

Two deployments, one after the other, each as separate processes over 127.0.0.1 with fake
attestation:

* ours: a chain service, a proxy, two workers and a client (`cocoon chain serve`, `cocoon
  proxy|worker|client CONFIG`), RA-TLS inside the roles;
* router: the reference's layout, for its table: the same roles, the proxy on plain ports
  behind a `cocoon router` process that holds its registered ports (reverse, writing the
  peer-info preamble) and whose SOCKS5 port the workers and the client dial out through (one
  router process, as in the reference's anchor run).

Worker 0 serves MODEL in front of `fast_backend.py`, worker 1 serves SLOW_MODEL in front of
`slow_stream_backend.py` (both from ../shared/bench, run as processes). Measured in each layout:

* RSS of each of our processes at rest (started, idle) and again after the load;
* wrk (the material's lua bodies, 100-token answers) at concurrency 1, 8, 64 and 256 (the
  workers take `--max-active-requests`, 60 as the reference's, so c=64 and c=256 queue at the
  proxy; errors and non-2xx answers are counted), non-streamed
  and streamed, against the fast backend directly and through the client's API: requests per
  second, p50 and p99, the ratio to direct, CPU ms per request of each of our processes
  (chain, router, proxy, worker 0, client; from /proc) and their sum, peak RSS of each;
* time to first token with the slow backend (20 ms per token, 50 tokens), direct and through
  the network (median of a few requests);
* in our layout, at a freshly restarted proxy: RSS per idle RA-TLS client connection (a helper
  process holds IDLE_CONNECTIONS of them) and per in-flight stream (STREAMS slow streams at
  once, on top).

The roles run from bytecode as installed code does (with PYTHONDONTWRITEBYTECODE set the bench
compiles cocoon first and lets its children write bytecode). Prints a plain table per layout
and writes bench/results.json (`layouts`: one entry each; with the machine it ran on). Each wrk
case also records `probe_us`, how long `sum(range(1000))` took just before it: on a shared host
the machine's speed drifts, and the roles' CPU per request with it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MATERIAL = ROOT.parent / "shared" / "bench"
RESULTS = ROOT / "bench" / "results.json"
HOST = "127.0.0.1"
MODEL = "Qwen/Qwen3-8B"
SLOW_MODEL = "slow/stream"
CONCURRENCY = (1, 8, 64, 256)
# The reference worker's `max_active_requests`: a burst above it waits at the proxy for a slot.
MAX_ACTIVE_REQUESTS = 60
TOKEN_DELAY = 0.02
SLOW_TOKENS = 50
IDLE_CONNECTIONS = 1000
STREAMS = 128
START_TIMEOUT = 60.0
PARTS = ("wrk", "ttft", "memory")
# The two deployments measured: ours, and the reference's (its router in front of the proxy's
# ports and beside the worker and the client), so that every figure has its counterpart in
# the reference's table.
LAYOUTS = {
    "ours": "chain, proxy, workers, client (RA-TLS inside the roles)",
    "router": "chain, router, proxy, workers, client (the reference's layout: TLS in the router)",
}
REST_SETTLE = 2.0  # seconds a started (or just loaded) network idles before its RSS is read
CHILD_ENV: dict[str, str] | None = None  # the roles' environment (main sets it)

# The reference C++ network on this kind of machine (../shared/bench/README.md).
REFERENCE: dict[str, Any] = {
    "cases": {
        "plain c=1": {"ratio": 0.058, "p50_ms": 2.01, "rps": 463},
        "plain c=8": {"ratio": 0.044, "p50_ms": 7.11, "rps": 990},
        "plain c=64": {"ratio": 0.053, "p50_ms": 43.3, "rps": 1310},
        "stream c=1": {"ratio": 0.185, "p50_ms": 3.04, "rps": 317},
        "stream c=8": {"ratio": 0.359, "p50_ms": 9.21, "rps": 814},
        "stream c=64": {"ratio": 0.478, "p50_ms": 54.6, "rps": 1078},
    },
    "cpu_ms_per_request": {"plain": 1.09, "stream": 1.50},
    "rss_total_mb": 94,
    "ttft_s": {"direct": 0.001, "network": 1.031},
    # The second anchor run (same material, 2026-12-06), the reference in its router layout:
    # ratio to direct and CPU ms per request summed over its four processes, per case.
    "second_run": {
        "cases": {
            "plain c=1": {"ratio": 0.057, "cpu_ms_per_request": 1.81, "p50_ms": 1.70},
            "plain c=8": {"ratio": 0.045, "cpu_ms_per_request": 1.41},
            "plain c=64": {"ratio": 0.067, "cpu_ms_per_request": 0.96},
            "stream c=1": {"ratio": 0.211, "cpu_ms_per_request": 1.88},
            "stream c=8": {"ratio": 0.324, "cpu_ms_per_request": 1.51},
            "stream c=64": {"ratio": 0.416, "cpu_ms_per_request": 1.19},
        },
        "rss_mb": {"router": 11, "proxy": 33, "worker": 25, "client": 23},
        "ttft_ms": 1018,
    },
}
TARGETS = {
    "ratio": {"plain c=1": 0.058, "plain c=64": 0.06, "stream c=1": 0.185, "stream c=64": 0.48},
    "cpu_ms_per_request": {"plain": 1.09, "stream": 1.5},
    "added_p50_ms_plain_c1": 2.0,
    "ttft_added_ms": 5.0,
    "idle_connection_kib": 64,
    "stream_kib": 256,
    "rest_rss_mb_per_role": 45,  # proxy, worker, client each, started and idle
    "roles_rss_mb_c64": 150,  # proxy + worker + client at c=64, peak
}
ROLES = ("proxy", "worker0", "client")  # the three roles of the memory targets


# ---------------------------------------------------------------------------- processes


class Proc:
    """A child process, its log, and what /proc says about it."""

    def __init__(
        self, name: str, argv: list[str], log_dir: Path, env: dict[str, str] | None = None
    ):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "wb")  # closed in stop()
        self.popen = subprocess.Popen(
            argv,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**(CHILD_ENV or os.environ), **(env or {})},
            cwd=ROOT,
            start_new_session=True,  # Ctrl-C on the bench is ours to pass on
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _status(self, key: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
        return 0

    def rss(self) -> int:
        return self._status("VmRSS")

    def peak_rss(self) -> int:
        return self._status("VmHWM")

    def private_and_proportional(self) -> tuple[int, int]:
        """(private bytes, PSS): what the process alone holds, and its share of what it
        shares (the libraries' pages count in each process's RSS, once on the machine)."""
        fields: dict[str, int] = {}
        try:
            for line in Path(f"/proc/{self.pid}/smaps_rollup").read_text().splitlines()[1:]:
                key, _, rest = line.partition(":")
                fields[key] = int(rest.split()[0]) * 1024
        except (OSError, ValueError, IndexError):
            return 0, 0
        return fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0), fields.get("Pss", 0)

    def reset_peak(self) -> bool:
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
            return True
        except OSError:
            return False

    def tail(self, n: int = 30) -> str:
        lines = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(lines[-n:])

    def stop(self, timeout: float = 10.0) -> None:
        if self.alive():
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._log.close()


def wait_for(what: str, check, timeout: float, procs: list[Proc]) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in procs:
            if not p.alive():
                raise SystemExit(f"bench: {p.name} exited while waiting for {what}:\n{p.tail()}")
        result = check()
        if result:
            return result
        time.sleep(0.1)
    logs = "\n".join(f"--- {p.name}\n{p.tail(15)}" for p in procs)
    raise SystemExit(f"bench: timed out waiting for {what}\n{logs}")


def port_open(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((HOST, port)) == 0


def http_json(url: str) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return json.loads(e.read() or b"{}")
    except (OSError, ValueError):
        return None


class Network:
    """The chain service, the roles and the two backends, each its own process."""

    def __init__(
        self,
        work: Path,
        *,
        pow_difficulty: int,
        max_active_requests: int = MAX_ACTIVE_REQUESTS,
        layout: str = "ours",
    ) -> None:
        self.max_active_requests = max_active_requests
        self.layout = layout
        self.work = work
        self.socks_port = free_port()
        self.pow_difficulty = pow_difficulty
        self.procs: dict[str, Proc] = {}
        self.fast_port = free_port()
        self.slow_port = free_port()
        self.chain_port = free_port()
        self.client_port = free_port()
        self.configs: dict[str, list[Path]] = {}

    def _role(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Proc:
        proc = self.procs[name] = Proc(name, argv, self.work, env)
        return proc

    def start(self) -> None:
        py = sys.executable
        self._role("fast_backend", [py, str(MATERIAL / "fast_backend.py")],
                   {"PORT": str(self.fast_port)})  # fmt: skip
        self._role(
            "slow_backend",
            [py, str(MATERIAL / "slow_stream_backend.py")],
            {"PORT": str(self.slow_port), "TOKEN_DELAY": str(TOKEN_DELAY)},
        )
        self._plan()
        self._role("chain", [py, "-m", "cocoon", "chain", "serve",
                             "--path", str(self.work / "data" / "ledger.sqlite"),
                             "--port", str(self.chain_port)])  # fmt: skip
        wait_for("the chain service", lambda: port_open(self.chain_port), START_TIMEOUT,
                 list(self.procs.values()))  # fmt: skip
        if self.layout == "router":
            self.start_router()
        self.start_proxy()
        for i, path in enumerate(self.configs["worker"]):
            self._role(f"worker{i}", [py, "-m", "cocoon", "worker", str(path)])
        self._role("client", [py, "-m", "cocoon", "client", str(self.configs["client"][0])])
        self.wait_ready()

    def _plan(self) -> None:
        import trio

        from cocoon.network import NetworkConfig, plan_network
        from cocoon.ratls.identity import Identity
        from cocoon.ton.embedded.ledger import EmbeddedLedger

        data = self.work / "data"
        data.mkdir()
        config = NetworkConfig(
            workers=2,
            model=MODEL,
            pow_difficulty=self.pow_difficulty,
            client_http_port=self.client_port,
            max_active_requests=self.max_active_requests,
            # The reference's pace for state commits and settlements, not the tests' 1 s.
            state_commit_interval=30.0,
            payments_interval=1.5,
            payment_poll_interval=15.0,
        )
        backends = [f"{HOST}:{self.fast_port}", f"{HOST}:{self.slow_port}"]

        async def plan() -> Any:
            ledger = EmbeddedLedger(path=data / "ledger.sqlite", fees=config.fees)
            try:
                return await plan_network(config, ledger, data, backends=backends)
            finally:
                ledger.close()

        import attrs

        planned = trio.run(plan)
        # The slow worker holds the memory figure's STREAMS streams at once.
        slow = attrs.evolve(
            planned.workers[1],
            model_name=SLOW_MODEL,
            max_active_requests=max(STREAMS, self.max_active_requests),
        )
        # The idle-connection figure holds IDLE_CONNECTIONS unauthorized connections from one
        # address: lift the proxy's caps on connections in auth (a defence, not a cost).
        proxy = attrs.evolve(
            planned.proxies[0], max_connections_in_auth=0, max_connections_in_auth_per_address=0
        )
        workers = (planned.workers[0], slow)
        clients = planned.clients
        if self.layout == "router":
            # The reference's deployment: the proxy listens on plain ports behind a reverse
            # router that holds its registered ports, and the workers and the client reach it
            # through that router's SOCKS5 port (one router process, as in the reference's
            # anchor run), instead of RA-TLS inside the roles.
            self.router_ports = (proxy.workers_rpc_port, proxy.client_rpc_port)
            proxy = attrs.evolve(
                proxy,
                workers_rpc_port=free_port(),
                client_rpc_port=free_port(),
                listen_mode="router",
            )
            via = f"{HOST}:{self.socks_port}"
            workers = tuple(attrs.evolve(w, connect_to_proxy_via=via) for w in workers)
            clients = tuple(attrs.evolve(c, connect_to_proxy_via=via) for c in clients)
            Identity.generate("fake_tdx").write(self.work / "router")
        planned = attrs.evolve(planned, proxies=(proxy,), workers=workers, clients=clients)
        self.proxy_config = proxy
        self.configs = planned.write_configs(
            self.work / "configs", ledger=f"http://{HOST}:{self.chain_port}"
        )

    def start_router(self) -> None:
        wport, cport = self.router_ports
        inner_w, inner_c = self.proxy_config.workers_rpc_port, self.proxy_config.client_rpc_port
        argv = [sys.executable, "-m", "cocoon", "router",
                "-R", f"{wport}:{HOST}:{inner_w}@fake_tdx", "-R", f"{cport}:{HOST}:{inner_c}@any",
                "-S", f"{self.socks_port}@fake_tdx", "-s", "-C", str(self.work / "router"),
                "-d", str(self.pow_difficulty)]  # fmt: skip
        router = self._role("router", argv)
        wait_for("the router to listen", lambda: port_open(cport), START_TIMEOUT, [router])

    def start_proxy(self) -> None:
        proxy = self._role(
            "proxy", [sys.executable, "-m", "cocoon", "proxy", str(self.configs["proxy"][0])]
        )
        port = self.proxy_config.client_rpc_port
        wait_for("the proxy to listen", lambda: port_open(port), START_TIMEOUT, [proxy])

    def restart_proxy(self) -> None:
        self.procs["proxy"].stop()
        self.start_proxy()
        self.wait_ready()

    def wait_ready(self) -> None:
        def served() -> bool:
            models = http_json(f"{self.client_url}/v1/models")
            if not models or "data" not in models:
                return False
            names = {m.get("id") for m in models["data"]}
            return {MODEL, SLOW_MODEL} <= names

        wait_for("the client to see both workers", served, START_TIMEOUT,
                 list(self.procs.values()))  # fmt: skip

    @property
    def client_url(self) -> str:
        return f"http://{HOST}:{self.client_port}"

    @property
    def ours(self) -> list[Proc]:
        """The processes a request through the network costs CPU in."""
        names = ("chain", "router", "proxy", "worker0", "client")
        return [self.procs[n] for n in names if n in self.procs]

    def rss_mb(self) -> dict[str, float]:
        """Each of our processes' resident memory now."""
        return {p.name: p.rss() / 2**20 for p in self.ours}

    def private_mb(self) -> dict[str, float]:
        """Each of our processes' private memory now (RSS less the shared libraries' pages)."""
        return {p.name: p.private_and_proportional()[0] / 2**20 for p in self.ours}

    def pss_mb(self) -> dict[str, float]:
        return {p.name: p.private_and_proportional()[1] / 2**20 for p in self.ours}

    def stop(self) -> None:
        for name in ("client", "worker0", "worker1", "proxy", "router", "chain"):
            if name in self.procs:
                self.procs[name].stop()
        for name in ("fast_backend", "slow_backend"):
            if name in self.procs:
                self.procs[name].popen.kill()
                self.procs[name].stop()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------- wrk


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        raise ValueError(f"wrk latency {text!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_wrk(out: str) -> dict[str, Any]:
    result: dict[str, Any] = {"errors": 0, "non_2xx": 0}
    for line in out.splitlines():
        line = line.strip()
        if m := re.match(r"(\d+) requests in ([\d.]+)(\w+),", line):
            result["requests"] = int(m.group(1))
        elif m := re.match(r"Requests/sec:\s+([\d.]+)", line):
            result["rps"] = float(m.group(1))
        elif m := re.match(r"(50|75|90|99)%\s+(\S+)", line):
            result[f"p{m.group(1)}_ms"] = _ms(m.group(2))
        elif m := re.match(r"Non-2xx or 3xx responses:\s+(\d+)", line):
            result["non_2xx"] = int(m.group(1))
        elif m := re.match(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                           line):  # fmt: skip
            result["errors"] = sum(int(g) for g in m.groups())
    if "rps" not in result:
        raise SystemExit(f"bench: cannot read wrk's output:\n{out}")
    return result


def run_wrk(url: str, lua: Path, connections: int, duration: float,
            watch: list[Proc]) -> dict[str, Any]:  # fmt: skip
    """One wrk run; with `watch`, also the CPU and peak RSS those processes spent on it."""
    for p in watch:
        p.reset_peak()
    before = {p.name: p.cpu_seconds() for p in watch}
    peaks = {p.name: p.rss() for p in watch}
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "-s", str(lua), "--latency",
            f"{url}/v1/chat/completions"]  # fmt: skip
    wrk = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    while wrk.poll() is None:  # sample RSS too, in case clear_refs is not allowed here
        for p in watch:
            peaks[p.name] = max(peaks[p.name], p.rss())
        time.sleep(0.05)
    out = wrk.stdout.read() if wrk.stdout else ""
    result = parse_wrk(out)
    if watch:
        cpu = {p.name: p.cpu_seconds() - before[p.name] for p in watch}
        done = max(result.get("requests", 0), 1)
        result["cpu_ms_per_request"] = 1000 * sum(cpu.values()) / done
        result["cpu_ms_per_request_by_process"] = {n: 1000 * c / done for n, c in cpu.items()}
        result["peak_rss_mb"] = {p.name: max(peaks[p.name], p.peak_rss()) / 2**20 for p in watch}
    return result


# ---------------------------------------------------------------------------- trio clients


def chat_body(model: str, *, stream: bool, max_tokens: int) -> bytes:
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": "Hello there, how are you today?"}],
        "max_tokens": max_tokens,
    }
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return json.dumps(body).encode()


async def timed_stream(port: int, body: bytes) -> tuple[float, float]:
    """(seconds to the first SSE event, seconds to the end) of one streamed request."""
    import trio

    stream = await trio.open_tcp_stream(HOST, port)
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    async with stream:
        t0 = time.perf_counter()
        await stream.send_all(head + body)
        buf = b""
        first = None
        while True:
            data = await stream.receive_some(65536)
            if not data:
                raise RuntimeError(f"connection closed early: {buf[-300:]!r}")
            buf += data
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                continue
            if first is None and b"data: " in buf[end:]:
                first = time.perf_counter() - t0
            if b"data: [DONE]" in buf[end:]:
                if not buf.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(f"unexpected answer {buf[:300]!r}")
                assert first is not None
                return first, time.perf_counter() - t0


def measure_ttft(net: Network, rounds: int) -> dict[str, Any]:
    import trio

    direct_body = chat_body(MODEL, stream=True, max_tokens=SLOW_TOKENS)
    net_body = chat_body(SLOW_MODEL, stream=True, max_tokens=SLOW_TOKENS)

    async def run() -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, port, body in (
            ("direct", net.slow_port, direct_body),
            ("network", net.client_port, net_body),
        ):
            await timed_stream(port, body)  # warm: connections, caches
            times = [await timed_stream(port, body) for _ in range(rounds)]
            out[name] = {
                "first_token_s": statistics.median(t[0] for t in times),
                "whole_s": statistics.median(t[1] for t in times),
            }
        out["added_ms"] = 1000 * (out["network"]["first_token_s"] - out["direct"]["first_token_s"])
        return out

    return trio.run(run)


def measure_streams(net: Network, count: int) -> dict[str, Any]:
    """Proxy RSS growth while `count` slow streams are in flight at once."""
    import trio

    proxy = net.procs["proxy"]
    body = chat_body(SLOW_MODEL, stream=True, max_tokens=SLOW_TOKENS)

    async def run() -> dict[str, Any]:
        base = proxy.rss()
        peak = base
        done = trio.Event()
        finished = 0

        async def one() -> None:
            nonlocal finished
            await timed_stream(net.client_port, body)
            finished += 1
            if finished == count:
                done.set()

        async with trio.open_nursery() as nursery:
            for _ in range(count):
                nursery.start_soon(one)
            while not done.is_set():
                peak = max(peak, proxy.rss())
                with trio.move_on_after(0.02):
                    await done.wait()
        return {
            "streams": count,
            "proxy_rss_before_mb": base / 2**20,
            "proxy_rss_peak_mb": peak / 2**20,
            "kib_per_stream": (peak - base) / count / 1024,
        }

    return trio.run(run)


# ---------------------------------------------------------------------------- idle connections


def idle_helper(port: int, count: int, pow_difficulty: int) -> int:
    """The helper process: hold `count` idle RA-TLS client connections (tcp.connect done) to
    the proxy's client port; print "ready N" once they are all up; leave when stdin closes."""
    import trio

    from cocoon.net import Role, open_session
    from cocoon.ratls.identity import Identity
    from cocoon.ratls.policy import builtin_policies
    from cocoon.roles.common.transport import Dialer

    dialer = Dialer(
        identity=Identity.generate("none"),
        policy=builtin_policies()["fake_tdx"],
        max_pow_difficulty=max(pow_difficulty, 28),
    )

    async def main() -> None:
        limiter = trio.CapacityLimiter(16)
        up = 0
        all_up = trio.Event()

        async def hold() -> None:
            nonlocal up
            async with limiter:
                stream, _ = await dialer.dial(HOST, port)
            async with open_session(stream, role=Role.DIALER, name="idle") as session:
                up += 1
                if up == count:
                    all_up.set()
                await session.wait_closed()

        async with trio.open_nursery() as nursery:
            for _ in range(count):
                nursery.start_soon(hold)
            await all_up.wait()
            print(f"ready {up}", flush=True)
            await trio.to_thread.run_sync(sys.stdin.read)  # until the bench closes our stdin
            nursery.cancel_scope.cancel()

    trio.run(main)
    return 0


def measure_idle(net: Network, count: int) -> tuple[dict[str, Any], subprocess.Popen]:
    """Proxy RSS growth per idle connection; returns the helper, still holding them."""
    proxy = net.procs["proxy"]
    time.sleep(1.0)
    base = proxy.rss()
    helper = subprocess.Popen(
        [sys.executable, __file__, "--idle-helper", str(net.proxy_config.client_rpc_port),
         str(count), str(net.pow_difficulty)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    assert helper.stdout is not None
    line = helper.stdout.readline().strip()
    if line != f"ready {count}":
        raise SystemExit(f"bench: the idle-connection helper failed ({line!r})")
    time.sleep(1.0)  # let the proxy settle (handshake garbage, sessions' first timers)
    after = proxy.rss()
    return {
        "connections": count,
        "proxy_rss_before_mb": base / 2**20,
        "proxy_rss_after_mb": after / 2**20,
        "kib_per_connection": (after - base) / count / 1024,
    }, helper


# ---------------------------------------------------------------------------- the run


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("bench: installing wrk (apt-get)", file=sys.stderr)
        install = ["apt-get", "install", "-y", "-q", "wrk"]
        if subprocess.run(install, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], capture_output=True)
            subprocess.run(install, check=True, capture_output=True)
        return
    raise SystemExit("bench: wrk is missing (Debian package `wrk`)")


def speed_probe(number: int = 500, repeat: int = 3) -> float:
    """Microseconds for `sum(range(1000))`: how fast this machine runs Python right now. On a
    shared host it drifts by 20 % and more within minutes (10.3 to 12.9 us between two runs
    here), and the CPU per request of the roles drifts with it; each case records it."""
    import timeit

    return min(timeit.repeat("sum(range(1000))", number=number, repeat=repeat)) / number * 1e6


def machine() -> dict[str, Any]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1]
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    # The interpreter matters: a build without PGO/LTO (pyenv's default) runs pure Python
    # about twice as slowly as a distribution's, for us and the direct path alike; this
    # loop's time (11 us with Debian's python3.11 here, 26 us with pyenv's) tells which ran.
    loop = speed_probe(number=2000, repeat=5)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(int(mem) / 2**20, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "python_sum_range_1000_us": round(loop, 1),
        "commit": commit,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }


def run_cases(
    net: Network, duration: float, only: set[str] | None = None, repeat: int = 1
) -> dict[str, Any]:
    """Each case `repeat` times (direct, then through the network), keeping the round with the
    median ratio; with several, `rounds` lists each one's figures."""
    cases: dict[str, Any] = {}
    direct_url = f"http://{HOST}:{net.fast_port}"
    for kind, lua in (("plain", MATERIAL / "chat.lua"), ("stream", MATERIAL / "chat_stream.lua")):
        names = [f"{kind} c={c}" for c in CONCURRENCY]
        if only is not None and not only & set(names):
            continue
        run_wrk(net.client_url, lua, 8, 1.0, [])  # warm both paths for this kind
        run_wrk(direct_url, lua, 8, 1.0, [])
        for c, name in zip(CONCURRENCY, names, strict=True):
            if only is not None and name not in only:
                continue
            rounds = []
            for _ in range(repeat):
                probe = speed_probe()
                direct = run_wrk(direct_url, lua, c, duration, [])
                through = run_wrk(net.client_url, lua, c, duration, net.ours)
                rounds.append({
                    "direct": direct,
                    "network": through,
                    "ratio": through["rps"] / direct["rps"],
                    "added_p50_ms": through["p50_ms"] - direct["p50_ms"],
                    "probe_us": round(probe, 1),
                })  # fmt: skip
            case = cases[name] = dict(sorted(rounds, key=lambda r: r["ratio"])[len(rounds) // 2])
            if repeat > 1:
                case["rounds"] = [
                    {"ratio": r["ratio"], "cpu_ms_per_request": r["network"]["cpu_ms_per_request"],
                     "rps": r["network"]["rps"], "probe_us": r["probe_us"]}
                    for r in rounds
                ]  # fmt: skip
            through = case["network"]
            ratios = " ".join(format(r["ratio"], ".3f") for r in rounds)
            print(f"  {name:12} direct {case['direct']['rps']:9,.0f}/s   network {through['rps']:7,.0f}/s"
                  f"   ratio {case['ratio']:.3f}   p50 {through['p50_ms']:.2f} ms"
                  f"   cpu {through['cpu_ms_per_request']:.2f} ms/req   probe {case['probe_us']} us"
                  + (f"   ratios {ratios}" if repeat > 1 else ""),
                  flush=True)  # fmt: skip
    return cases


def _mb(rss: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.0f}" for k, v in rss.items()) + f" (total {sum(rss.values()):.0f})"


def layout_table(layout: str, results: dict[str, Any]) -> list[str]:
    ref = REFERENCE["second_run"]["cases"]
    lines = [
        f"## {layout}: {LAYOUTS[layout]}",
        "",
        "| load | direct req/s | network req/s | ratio | ref ratio | p50 ms | p99 ms | "
        "+p50 ms | CPU ms/req | ref CPU | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    cases = results.get("cases", {})
    for name, case in cases.items():
        d, n = case["direct"], case["network"]
        errors = n["errors"] + n["non_2xx"]
        # The reference's figures in its router layout (second anchor run; none at c=256).
        ref_ratio = f"{ref[name]['ratio']:.3f}" if name in ref else "-"
        ref_cpu = f"{ref[name]['cpu_ms_per_request']:.2f}" if name in ref else "-"
        lines.append(
            f"| {name} | {d['rps']:,.0f} | {n['rps']:,.0f} | {case['ratio']:.3f} | "
            f"{ref_ratio} | {n['p50_ms']:.2f} | {n['p99_ms']:.2f} | "
            f"{case['added_p50_ms']:.2f} | {n['cpu_ms_per_request']:.2f} | {ref_cpu} | {errors} |"
        )
    lines += ["", "CPU ms per request by process, peak RSS MB by process:"]
    for name, case in cases.items():
        n = case["network"]
        cpu = " ".join(f"{k}={v:.2f}" for k, v in n["cpu_ms_per_request_by_process"].items())
        line = f"  {name:12} cpu: {cpu}   rss: {_mb(n['peak_rss_mb'])}"
        if "probe_us" in case:  # the machine's speed at the time (older results lack it)
            line += f"   probe {case['probe_us']} us"
        if "rounds" in case:
            each = " ".join(
                f"{r['ratio']:.3f}/{r['cpu_ms_per_request']:.2f}" for r in case["rounds"]
            )
            line += f"   rounds (ratio/CPU): {each}"
        lines.append(line)
    lines.append("")
    if "rest_rss_mb" in results:
        rest = results["rest_rss_mb"]
        over = [r for r in ROLES if rest.get(r, 0.0) > TARGETS["rest_rss_mb_per_role"]]
        lines.append(
            f"RSS MB at rest: {_mb(rest)}; over {TARGETS['rest_rss_mb_per_role']} MB: "
            f"{', '.join(over) or 'none'}"
        )
    if "rest_private_mb" in results:
        lines.append(
            f"  private MB at rest (RSS less shared library pages): {_mb(results['rest_private_mb'])}"
        )
        lines.append(f"  PSS MB at rest: {_mb(results['rest_pss_mb'])}")
    if "after_load_rss_mb" in results:
        lines.append(f"RSS MB at rest after the load: {_mb(results['after_load_rss_mb'])}")
    for name in ("plain c=64", "stream c=64"):
        if name in cases:
            peak = cases[name]["network"]["peak_rss_mb"]
            roles = sum(peak.get(r, 0.0) for r in ROLES)
            lines.append(
                f"{name}: proxy + worker + client peak {roles:.0f} MB "
                f"(target {TARGETS['roles_rss_mb_c64']})"
            )
    if "ttft" in results:
        t = results["ttft"]
        lines.append(
            f"time to first token ({SLOW_TOKENS} tokens, {TOKEN_DELAY * 1000:g} ms each): "
            f"direct {t['direct']['first_token_s'] * 1000:.1f} ms, "
            f"network {t['network']['first_token_s'] * 1000:.1f} ms "
            f"(+{t['added_ms']:.1f} ms; reference {REFERENCE['second_run']['ttft_ms']} ms); "
            f"whole stream {t['direct']['whole_s']:.3f} s / {t['network']['whole_s']:.3f} s"
        )
    if "idle" in results:
        i, s = results["idle"], results["streams"]
        lines.append(
            f"proxy memory: {i['kib_per_connection']:.1f} KiB per idle RA-TLS connection "
            f"({i['connections']} held), {s['kib_per_stream']:.1f} KiB per in-flight stream "
            f"({s['streams']} at once)"
        )
    return lines


def table(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']} "
        f"(sum(range(1000)) {m['python_sum_range_1000_us']} us), commit {m['commit']}",
        "reference (router layout, second anchor run): RSS MB "
        + " ".join(f"{k}={v}" for k, v in REFERENCE["second_run"]["rss_mb"].items())
        + f" (total {sum(REFERENCE['second_run']['rss_mb'].values())})",
    ]
    for layout, figures in results["layouts"].items():
        lines += ["", *layout_table(layout, figures)]
    return "\n".join(lines)


def child_environment() -> dict[str, str]:
    """The roles' environment: they run from bytecode, as installed code does. (Compiling
    every module at start, as PYTHONDONTWRITEBYTECODE makes a process do, leaves megabytes of
    freed parser memory in each role's heap, which its RSS would count.)"""
    env = dict(os.environ)
    if env.pop("PYTHONDONTWRITEBYTECODE", None):
        subprocess.run([sys.executable, "-m", "compileall", "-q", "cocoon"], cwd=ROOT, env=env,
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    return env


def run_layout(layout: str, work: Path, args: argparse.Namespace, duration: float,
               only: set[str] | None, parts: set[str]) -> dict[str, Any]:  # fmt: skip
    """Start the network in `layout`, measure the asked parts, stop it."""
    work.mkdir(parents=True, exist_ok=True)
    net = Network(
        work,
        pow_difficulty=args.pow_difficulty,
        max_active_requests=args.max_active_requests,
        layout=layout,
    )
    out: dict[str, Any] = {}
    try:
        started = time.monotonic()
        print(f"bench [{layout}]: starting {LAYOUTS[layout]} ...", flush=True)
        net.start()
        print(f"bench [{layout}]: network ready in {time.monotonic() - started:.1f} s", flush=True)
        if args.hold:
            pids = {name: p.pid for name, p in net.procs.items()}
            print(f"client API {net.client_url}; pids {json.dumps(pids)}; Ctrl-C to stop")
            try:
                while all(p.alive() for p in net.procs.values()):
                    time.sleep(1)
            except KeyboardInterrupt:
                pass
            return out
        time.sleep(REST_SETTLE)
        out["rest_rss_mb"] = net.rss_mb()
        out["rest_private_mb"] = net.private_mb()
        out["rest_pss_mb"] = net.pss_mb()
        if "wrk" in parts:
            out["cases"] = run_cases(net, duration, only, args.repeat)
            time.sleep(REST_SETTLE)
            out["after_load_rss_mb"] = net.rss_mb()
        if "ttft" in parts:
            out["ttft"] = measure_ttft(net, 3 if args.quick else 5)
        # The proxy's memory per idle connection and per stream: in our layout only (behind a
        # router the connections would end in the router).
        if "memory" in parts and layout == "ours":
            if "wrk" in parts:
                print("bench: restarting the proxy for the memory figures", flush=True)
                net.restart_proxy()
            run_wrk(net.client_url, MATERIAL / "chat.lua", 4, 1.0, [])  # warm
            out["idle"], helper = measure_idle(net, 200 if args.quick else IDLE_CONNECTIONS)
            try:
                out["streams"] = measure_streams(net, STREAMS)
            finally:
                assert helper.stdin is not None
                helper.stdin.close()
                helper.wait(30)
    finally:
        net.stop()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke test)")
    parser.add_argument("--duration", type=float, help="seconds per wrk run (default 4)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="the JSON results file")
    parser.add_argument("--pow-difficulty", type=int, default=4)
    parser.add_argument(
        "--max-active-requests",
        type=int,
        default=MAX_ACTIVE_REQUESTS,
        help=f"each worker's max_active_requests (default {MAX_ACTIVE_REQUESTS}, the reference's)",
    )
    parser.add_argument(
        "--layouts",
        default=",".join(LAYOUTS),
        help=f"which deployments to measure, of {','.join(LAYOUTS)} (default: both)",
    )
    parser.add_argument("--hold", action="store_true", help="start the network and wait")
    parser.add_argument("--keep", type=Path, help="work here (configs, logs) and keep it")
    parser.add_argument(
        "--cases", help='only these wrk cases, e.g. "plain c=1,stream c=64" (no TTFT, memory)'
    )
    parser.add_argument("--parts", help=f"only these parts, of {','.join(PARTS)}")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run each wrk case this many times and keep the median (the machine drifts)",
    )
    parser.add_argument("--idle-helper", nargs=3, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.idle_helper:
        return idle_helper(*args.idle_helper)
    layouts = [x.strip() for x in args.layouts.split(",") if x.strip()]
    if not layouts or set(layouts) - set(LAYOUTS):
        parser.error(f"--layouts takes {','.join(LAYOUTS)}")
    if args.hold and len(layouts) != 1:
        parser.error("--hold starts one layout: name it with --layouts")
    # Started in the background, we may have inherited SIGINT ignored: our children would too,
    # and the roles stop gracefully (the proxy's last database write) only on SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if not (MATERIAL / "fast_backend.py").exists():
        raise SystemExit(f"bench: the benchmark material is missing ({MATERIAL})")
    ensure_wrk()
    global CHILD_ENV
    CHILD_ENV = child_environment()
    duration = args.duration or (2.0 if args.quick else 4.0)
    started = time.monotonic()
    results: dict[str, Any] = {"machine": machine(), "reference": REFERENCE, "targets": TARGETS}
    results["_started"] = started
    only = {c.strip() for c in args.cases.split(",")} if args.cases else None
    parts = {"wrk"} if only is not None else set(args.parts.split(",") if args.parts else PARTS)
    if "wrk" in parts:
        results["wrk_seconds"] = duration
    results["layouts"] = {}
    with tempfile.TemporaryDirectory(prefix="cocoon-bench-") as tmp:
        base = Path(tmp)
        if args.keep is not None:
            base = args.keep
            base.mkdir(parents=True)
        for layout in layouts:
            results["layouts"][layout] = run_layout(
                layout, base / layout, args, duration, only, parts
            )
        if args.hold:
            return 0
    return report(results, args.out)


def report(results: dict[str, Any], out: Path) -> int:
    results["seconds"] = time.monotonic() - results.pop("_started")
    print()
    print(table(results))
    print(f"\nbench: {results['seconds']:.0f} s; results in {out}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
