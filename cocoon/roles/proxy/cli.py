"""`cocoon proxy CONFIG`: run a proxy (on a TDX VM, or on a laptop with fake attestation)."""

from __future__ import annotations

import argparse

from cocoon.roles.common.cli import add_config_argument, run_role


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_argument(parser, "proxy")


def run(args: argparse.Namespace) -> int:
    from cocoon.roles.proxy.config import ProxyConfig
    from cocoon.roles.proxy.runner import run_proxy

    return run_role(ProxyConfig.load, run_proxy, args)
