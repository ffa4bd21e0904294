"""Inference backends that ship with cocoon. `fake` is a TEST backend (no model): a
deterministic OpenAI-compatible server for tests, the demo and benchmarks."""

from cocoon.backends.fake import (
    FakeInferenceConfig,
    FakeInferenceServer,
    FakeInferenceStats,
    serve_fake_inference,
)

__all__ = [
    "FakeInferenceConfig",
    "FakeInferenceServer",
    "FakeInferenceStats",
    "serve_fake_inference",
]
