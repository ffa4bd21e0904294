"""Prices and token accounting (spec 30 sections 5.4, 6, 8). Integers for all money.

Adjusted tokens follow the reference's double-precision formula exactly (section 8.2):
`trunc(((n * (coef * 0.001)) * mult) * 0.0001)` in IEEE-754 double, left to right. Python
floats are IEEE doubles and `int()` truncates toward zero, so the result is bit-identical.
"""

from __future__ import annotations

import attrs

from cocoon.ton.constants import MULTIPLIER_ONE

INT64_MAX = (1 << 63) - 1
SAFE_DIV_FALLBACK = 10**12  # what the reference's safe_div answers for a price <= 0


def adjust_tokens(tokens: int, coefficient: int, multiplier: int) -> int:
    """Tokens scaled by a worker coefficient (thousandths) and a multiplier (1/10000)."""
    value = float(tokens) * (float(coefficient) * 0.001) * float(multiplier) * 0.0001
    if not -INT64_MAX <= value <= INT64_MAX:
        raise ValueError(f"adjusted token count {value} does not fit in int64")
    return int(value)


@attrs.frozen
class Multipliers:
    """The root's per-category price multipliers, scale 10000 (= x1.0)."""

    prompt: int = MULTIPLIER_ONE
    cached: int = MULTIPLIER_ONE
    completion: int = MULTIPLIER_ONE
    reasoning: int = MULTIPLIER_ONE

    @classmethod
    def of(cls, params: object) -> Multipliers:
        """From `Params` or `RootConfig` (anything with the four *_price_multiplier fields)."""
        p = getattr(params, "params", params)
        return cls(
            prompt=p.prompt_tokens_price_multiplier,
            cached=p.cached_tokens_price_multiplier,
            completion=p.completion_tokens_price_multiplier,
            reasoning=p.reasoning_tokens_price_multiplier,
        )


@attrs.frozen
class TokenUsage:
    """Raw counts from the backend's `usage`: prompt (incl. cached), cached, completion
    (incl. reasoning), reasoning."""

    prompt: int = 0
    cached: int = 0
    completion: int = 0
    reasoning: int = 0


@attrs.frozen
class AdjustedTokens:
    """Per-category adjusted tokens, each truncated separately (what `tokensUsed` carries)."""

    prompt: int
    cached: int
    completion: int
    reasoning: int

    @property
    def total(self) -> int:
        return self.prompt + self.cached + self.completion + self.reasoning


def adjusted_tokens(
    usage: TokenUsage, coefficient: int, multipliers: Multipliers
) -> AdjustedTokens:
    """Section 8.2: prompt and completion exclude their cached and reasoning parts."""
    return AdjustedTokens(
        prompt=adjust_tokens(usage.prompt - usage.cached, coefficient, multipliers.prompt),
        cached=adjust_tokens(usage.cached, coefficient, multipliers.cached),
        completion=adjust_tokens(
            usage.completion - usage.reasoning, coefficient, multipliers.completion
        ),
        reasoning=adjust_tokens(usage.reasoning, coefficient, multipliers.reasoning),
    )


def client_price(tokens: int, price_per_token: int) -> int:
    """What the client pays for `tokens` adjusted tokens (nano)."""
    return tokens * price_per_token


def worker_fee(tokens: int, worker_fee_per_token: int) -> int:
    """What the worker earns for `tokens` adjusted tokens (nano)."""
    return tokens * worker_fee_per_token


def proxy_commission(tokens: int, price_per_token: int, worker_fee_per_token: int) -> int:
    """What the proxy keeps for `tokens` adjusted tokens (nano); realised at worker payout."""
    return tokens * (price_per_token - worker_fee_per_token)


@attrs.frozen
class Charge:
    """Result of a client charge (section 5.4)."""

    tokens_used: int
    balance: int
    charged: int  # nano that stopped being refundable
    shortfall: int  # nano the proxy absorbs because the balance did not cover the cost


def charge(tokens_used: int, balance: int, new_tokens_used: int, price_per_token: int) -> Charge:
    """The client contract's `update_balance`: no change unless tokens grow; never below 0."""
    if new_tokens_used <= tokens_used:
        return Charge(tokens_used=tokens_used, balance=balance, charged=0, shortfall=0)
    cost = (new_tokens_used - tokens_used) * price_per_token
    if cost < balance:
        return Charge(
            tokens_used=new_tokens_used, balance=balance - cost, charged=cost, shortfall=0
        )
    return Charge(tokens_used=new_tokens_used, balance=0, charged=balance, shortfall=cost - balance)


@attrs.frozen
class PayoutSplit:
    """Worker payout of a token delta (section 6): what goes to the worker and to the proxy."""

    worker_part: int
    proxy_part: int


def payout_split(delta_tokens: int, price_per_token: int, worker_fee_per_token: int) -> PayoutSplit:
    return PayoutSplit(
        worker_part=worker_fee(delta_tokens, worker_fee_per_token),
        proxy_part=proxy_commission(delta_tokens, price_per_token, worker_fee_per_token),
    )


def safe_div(a: int, b: int) -> int:
    """The reference's `safe_div`: a // b, or 10^12 when b <= 0."""
    return a // b if b > 0 else SAFE_DIV_FALLBACK


@attrs.frozen
class CreditView:
    """The proxy's view of a client's on-chain credit (section 8.4), in adjusted tokens."""

    sc_balance: int
    sc_stake: int
    sc_tokens_used: int
    price_per_token: int

    @property
    def tokens_payed(self) -> int:
        return safe_div(self.sc_balance, self.price_per_token) + self.sc_tokens_used

    @property
    def tokens_stake(self) -> int:
        return safe_div(self.sc_stake, self.price_per_token)

    def available(self, reserved: int, tokens_max: int) -> int:
        """Tokens a new request may still use: min(paid, used + stake) - reserved - accounted."""
        return (
            min(self.tokens_payed, self.sc_tokens_used + self.tokens_stake) - reserved - tokens_max
        )


def reserve_for_query(max_tokens: int, query_bytes: int, max_coefficient: int) -> int:
    """Tokens reserved when a query is admitted: adjust(max_tokens + len(query), max_coef, 1.0)."""
    return adjust_tokens(max_tokens + query_bytes, max_coefficient, MULTIPLIER_ONE)
