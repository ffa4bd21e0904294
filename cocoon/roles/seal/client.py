"""The seal client: one request, one verified answer, the 32-byte persistent key.

    key = await get_persistent_key(SealClientConfig(b"disk_encryption", mode="fake",
                                                    address=SealAddress.tcp(port=port)))

The whole exchange (TDREPORT, connect, request, answer, checks) runs under `config.timeout`;
a server that never answers raises `SealUnavailable`. Nothing is written anywhere: callers
store the key only once this returns.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import trio

from cocoon.ratls.dcap import QuoteVerifier, default_verifier
from cocoon.ratls.tdx_guest import TdxGuest
from cocoon.roles.seal.config import SealClientConfig
from cocoon.roles.seal.errors import SealUnavailable
from cocoon.roles.seal.framing import FrameDecoder
from cocoon.roles.seal.guest import ReportSource
from cocoon.roles.seal.messages import PersistentKey
from cocoon.roles.seal.request import KeyRequest, SealMode, verify_sgx_quote
from cocoon.roles.seal.transport import open_seal_stream, receive_frame, send_frame

log = logging.getLogger(__name__)
T = TypeVar("T")


async def get_persistent_key(
    config: SealClientConfig,
    *,
    guest: ReportSource | None = None,
    verifier: QuoteVerifier | None = None,
) -> bytes:
    """Ask the seal server for the key named `config.key_name`.

    `guest` makes the TDREPORT (default: the configured fake TD in fake mode, the TDX module in
    real mode); `verifier` checks real SGX quotes (default: DCAP with `config.collateral`,
    which fails closed when DCAP is unavailable). Raises `SealRefused` for an answer that fails
    a check, `SealFrameError`/`SealMessageError` for malformed bytes, `SealUnavailable` when no
    answer comes.
    """
    with trio.move_on_after(config.timeout):
        stream = await open_seal_stream(config.address)
        async with stream:
            return await exchange_key(stream, config, guest=guest, verifier=verifier)
    raise _no_answer(config)


async def exchange_key(
    stream: trio.abc.Stream,
    config: SealClientConfig,
    *,
    guest: ReportSource | None = None,
    verifier: QuoteVerifier | None = None,
) -> bytes:
    """`get_persistent_key` over an already open stream (left open), under `config.timeout`."""
    if guest is None:
        guest = config.fake_guest if config.mode is SealMode.FAKE else TdxGuest()
    if verifier is None and config.mode is SealMode.REAL:
        verifier = default_verifier(config.collateral)
    with trio.move_on_after(config.timeout):
        return await _exchange(stream, config, guest, verifier)
    raise _no_answer(config)


def _no_answer(config: SealClientConfig) -> SealUnavailable:
    return SealUnavailable(
        f"no answer from the seal server at {config.address} within {config.timeout:g} s"
    )


async def _exchange(
    stream: trio.abc.Stream,
    config: SealClientConfig,
    guest: ReportSource,
    verifier: QuoteVerifier | None,
) -> bytes:
    # Real mode blocks (ioctl, DCAP collateral): threads. Software mode is pure and fast.
    # A stuck ioctl or DCAP fetch is abandoned at the deadline; its result is never used.
    blocking = config.mode is SealMode.REAL
    run = partial(trio.to_thread.run_sync, abandon_on_cancel=True) if blocking else _run_inline
    request = KeyRequest(config.key_name)
    report = await run(guest.make_report, request.report_data)
    await send_frame(stream, request.encode(report))
    frame = await receive_frame(stream, FrameDecoder())
    if frame is None:
        raise SealUnavailable(
            f"the seal server at {config.address} closed the connection without an answer "
            "(it refused the request; see its log)"
        )
    answer = PersistentKey.from_bytes(frame)
    enclave = await run(
        lambda: verify_sgx_quote(
            answer.sgx_quote, mode=config.mode, verifier=verifier, now=int(time.time())
        )
    )
    key = request.open(answer, enclave, config.policy)
    log.info("seal: received key %r from %s", config.key_name, config.address)
    return key


async def _run_inline(fn: Callable[..., T], *args: Any) -> T:
    return fn(*args)
