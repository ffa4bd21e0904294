"""The benchmark's own reading and reporting (scripts/bench.py), without running it: wrk's
output parsed, and both layouts' figures in the table with the targets they are held to."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench.py"

WRK = """Running 2s test @ http://127.0.0.1:8000/v1/chat/completions
  1 threads and 64 connections
  Latency Distribution
     50%  112.67ms
     75%  137.17ms
     90%  172.22ms
     99%    1.21s
  1055 requests in 2.02s, 1.23MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 3
Requests/sec:    522.03
"""


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def figures(rss: dict[str, float]) -> dict:
    network = {
        "rps": 500.0,
        "p50_ms": 100.0,
        "p99_ms": 200.0,
        "errors": 0,
        "non_2xx": 0,
        "cpu_ms_per_request": 1.0,
        "cpu_ms_per_request_by_process": dict.fromkeys(rss, 0.25),
        "peak_rss_mb": rss,
    }
    case = {"direct": {"rps": 10_000.0, "p50_ms": 5.0}, "network": network, "ratio": 0.05,
            "added_p50_ms": 95.0}  # fmt: skip
    return {"rest_rss_mb": rss, "cases": {"plain c=64": case}}


def test_wrk_output_is_read(bench):
    result = bench.parse_wrk(WRK)
    assert result["rps"] == 522.03 and result["requests"] == 1055
    assert result["p50_ms"] == 112.67 and result["p99_ms"] == 1210.0
    assert result["errors"] == 3 and result["non_2xx"] == 3


def test_the_table_sets_both_layouts_against_the_reference_and_the_targets(bench):
    ours = figures({"chain": 47.0, "proxy": 44.0, "worker0": 40.0, "client": 41.0})
    router = figures({"chain": 47.0, "router": 30.0, "proxy": 52.0, "worker0": 51.0,
                      "client": 50.0})  # fmt: skip
    machine = {"cpu": "x", "cores": 2, "python": "3.11", "python_sum_range_1000_us": 11.0,
               "commit": "abc"}  # fmt: skip
    text = bench.table({"machine": machine, "layouts": {"ours": ours, "router": router}})
    assert "## ours:" in text and "## router:" in text
    # The reference's figures for the case (second anchor run: ratio 0.067, 0.96 ms CPU).
    assert "| plain c=64 | 10,000 | 500 | 0.050 | 0.067 |" in text and "| 0.96 |" in text
    ours_part, router_part = text.split("## router:")
    assert "over 45 MB: none" in ours_part
    assert "over 45 MB: proxy, worker0, client" in router_part
    assert "proxy + worker + client peak 125 MB (target 150)" in ours_part
    assert "proxy + worker + client peak 153 MB (target 150)" in router_part
