"""The router role: RA-TLS reverse proxy and SOCKS5/fixed forward proxy (spec 20 section 6)."""

from cocoon.roles.router.config import PortConfig, PortKind, RouterConfig
from cocoon.roles.router.router import PortStats, RouterHandle, peer_info, run_router

__all__ = [
    "PortConfig",
    "PortKind",
    "PortStats",
    "RouterConfig",
    "RouterHandle",
    "peer_info",
    "run_router",
]
