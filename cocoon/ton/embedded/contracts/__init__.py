"""Python ports of the five COCOON contracts, one module each, checks in the contracts' order."""

from __future__ import annotations

from cocoon.ton.embedded.contracts._common import Port
from cocoon.ton.embedded.contracts.client import ClientPort
from cocoon.ton.embedded.contracts.proxy import ProxyPort
from cocoon.ton.embedded.contracts.root import RootPort
from cocoon.ton.embedded.contracts.wallet import WalletPort
from cocoon.ton.embedded.contracts.worker import WorkerPort

PORTS: dict[str, Port] = {
    port.kind: port for port in (RootPort(), ProxyPort(), ClientPort(), WorkerPort(), WalletPort())
}

__all__ = ["PORTS", "ClientPort", "Port", "ProxyPort", "RootPort", "WalletPort", "WorkerPort"]
