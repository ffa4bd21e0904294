"""`cocoon fake-inference`: run the fake OpenAI-compatible inference server (a TEST backend:
no model, deterministic fake tokens) in the foreground."""

from __future__ import annotations

import argparse
from functools import partial

from cocoon.backends.fake import (
    FAIL_MODES,
    STREAM_FORMATS,
    FakeInferenceConfig,
    serve_fake_inference,
)
from cocoon.service import run_service


def add_arguments(parser: argparse.ArgumentParser) -> None:
    d = FakeInferenceConfig()
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (%(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port (%(default)s)")
    parser.add_argument("--model", default=d.model, help="model name served (%(default)s)")
    parser.add_argument(
        "--default-max-tokens",
        type=int,
        default=d.default_max_tokens,
        help="tokens per answer when the request sets no limit (%(default)s)",
    )
    parser.add_argument(
        "--token-delay", type=float, default=0.0, help="seconds between tokens (%(default)s)"
    )
    parser.add_argument(
        "--first-token-delay",
        type=float,
        default=0.0,
        help="seconds before the first token (%(default)s)",
    )
    parser.add_argument("--cached-tokens", type=int, default=0, help="cached prompt tokens")
    parser.add_argument("--reasoning-tokens", type=int, default=0, help="reasoning tokens")
    parser.add_argument(
        "--fail-mode", choices=FAIL_MODES, default="none", help="failure to inject (%(default)s)"
    )
    parser.add_argument(
        "--fail-every", type=int, default=1, help="inject it on every Nth request (%(default)s)"
    )
    parser.add_argument(
        "--stream-format",
        choices=STREAM_FORMATS,
        default="sse",
        help="streamed answers as SSE or as NDJSON lines (%(default)s)",
    )
    parser.add_argument(
        "--no-stream-usage",
        dest="stream_usage",
        action="store_false",
        help="streamed answers carry no usage at all (a server that reports none)",
    )


def config_from_args(args: argparse.Namespace) -> FakeInferenceConfig:
    return FakeInferenceConfig(
        model=args.model,
        default_max_tokens=args.default_max_tokens,
        token_delay=args.token_delay,
        first_token_delay=args.first_token_delay,
        cached_tokens=args.cached_tokens,
        reasoning_tokens=args.reasoning_tokens,
        fail_mode=args.fail_mode,
        fail_every=args.fail_every,
        stream_format=args.stream_format,
        stream_usage=args.stream_usage,
    )


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    run_service(partial(serve_fake_inference, config, host=args.host, port=args.port))
    return 0
