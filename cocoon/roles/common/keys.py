"""Where a role's secret keys come from: inline in the config (the reference's base64 fields),
a local key file, or the seal server (persistent keys bound to the TDX image, spec 20 §7).

    "keys": {"wallet": {"file": "/var/lib/cocoon/wallet.key"},
             "payment": {"seal": {"key_name": "proxy_payment", "address": "vsock:2:12345"}}}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from cocoon.errors import ConfigError
from cocoon.roles.seal.keys import KeySource, load_key


def key_sources(value: Any) -> dict[str, KeySource]:
    """attrs converter for a `keys` config entry: name -> key source."""
    if value in (None, ""):
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"keys must map a key name to a source, got {value!r}")
    return {
        str(name): s if isinstance(s, KeySource) else KeySource.from_dict(s)
        for name, s in value.items()
    }


def known_key_names(*names: str) -> Callable[[Any, attrs.Attribute, Mapping[str, Any]], None]:
    """attrs validator for a role's `keys`: only the names the role resolves (a misspelt one
    would be ignored, and its key generated or asked for elsewhere)."""

    def check(_instance: Any, _attr: attrs.Attribute, value: Mapping[str, Any]) -> None:
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(
                f"keys: unknown key name {', '.join(map(repr, unknown))} "
                f"(known: {', '.join(names)})"
            )

    return check


async def resolve_key(
    inline: bytes | None, sources: Mapping[str, KeySource], name: str, *, what: str
) -> bytes:
    """The key given inline, else the one from `sources[name]`; `ConfigError` if neither."""
    if inline is not None:
        return inline
    source = sources.get(name)
    if source is None:
        raise ConfigError(
            f"{what}: give it in the config (base64 or hex) or a source under keys.{name}"
        )
    return await load_key(source)
