"""TON amounts as people type and read them: decimal TON in, exact nano-TON inside."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from cocoon.errors import ConfigError
from cocoon.ton.constants import ONE_TON


def parse_ton(text: str) -> int:
    """`"1.5"` -> 1_500_000_000 nano; at most 9 decimals, never negative."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation as e:
        raise ConfigError(f"not an amount of TON: {text!r}") from e
    nano = value * ONE_TON
    if not value.is_finite() or nano != nano.to_integral_value() or nano < 0:
        raise ConfigError(f"not an amount of TON (at most 9 decimals, not negative): {text!r}")
    return int(nano)


def format_ton(nano: int) -> str:
    """1_500_000_000 -> "1.5 TON"."""
    whole, frac = divmod(abs(nano), ONE_TON)
    sign = "-" if nano < 0 else ""
    text = f"{whole}.{frac:09d}".rstrip("0").rstrip(".")
    return f"{sign}{text} TON"
