"""The models the connected proxies serve, as `GET /v1/models` and the pages show them (spec 40
section 2.7 [OURS]): valid JSON, `owned_by: "cocoon"`, `created` = when this client first saw
the model, each model's workers (coefficient, load), `active_workers`, `min_coefficient`, and
models without an enabled worker left out unless asked for.

The list costs one query per proxy, so it is kept for a moment (`max_age`): dashboards and
health checks polling every second do not each ask every proxy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import trio

if TYPE_CHECKING:
    from cocoon.roles.client.core import ClientNode, ModelInfo

MAX_AGE = 1.0


class ModelCatalog:
    def __init__(self, node: ClientNode, max_age: float = MAX_AGE) -> None:
        self.node = node
        self.max_age = max_age
        self._models: list[ModelInfo] = []
        self._at = -float("inf")
        self._lock = trio.Lock()

    async def get(self) -> list[ModelInfo]:
        """Every model the proxies list (with or without workers), at most `max_age` old."""
        async with self._lock:  # one fetch at a time; the others take its result
            if trio.current_time() - self._at > self.max_age:
                self._models = await self.node.models()
                self._at = trio.current_time()
            return self._models

    async def names(self) -> list[str]:
        """Models one can send a request to now (an enabled worker serves them)."""
        return [m.name for m in await self.get() if m.workers]


def model_json(model: ModelInfo, price_per_token: int) -> dict[str, Any]:
    return {
        "id": model.name,
        "object": "model",
        "created": model.created,
        "owned_by": "cocoon",
        "workers": model.workers,
        "active_workers": len(model.workers),
        "min_coefficient": model.min_coefficient,
        "price_per_token": price_per_token,  # nano-TON per adjusted token at coefficient 1000
    }


def models_json(
    models: list[ModelInfo], price_per_token: int, *, show_all: bool = False
) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [model_json(m, price_per_token) for m in models if show_all or m.workers],
    }
