"""`cocoon worker CONFIG`: run a worker (on a TDX VM, or on a laptop with fake attestation)."""

from __future__ import annotations

import argparse

from cocoon.roles.common.cli import add_config_argument, run_role


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_argument(parser, "worker")


def run(args: argparse.Namespace) -> int:
    from cocoon.roles.worker.config import WorkerConfig
    from cocoon.roles.worker.runner import run_worker

    return run_role(WorkerConfig.load, run_worker, args)
