"""`cocoon client CONFIG`: run a client (on a TDX VM, or on a laptop with fake attestation)."""

from __future__ import annotations

import argparse

from cocoon.roles.common.cli import add_config_argument, run_role


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_argument(parser, "client")


def run(args: argparse.Namespace) -> int:
    from cocoon.roles.client.config import ClientConfig
    from cocoon.roles.client.runner import run_client

    return run_role(ClientConfig.load, run_client, args)
