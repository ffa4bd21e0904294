"""The seal server (`cocoon seal-server`): answers `getPersistentKey` with `persistentKey`.

    handle = await nursery.start(serve_seal, SealServerConfig(address=SealAddress.tcp(port=0)))
    handle.address                      # where it listens (the real port for port 0)

Every connection runs in its own task. Like the reference, a connection may carry several
request frames, each answered in turn; on any error (bad frame, bad message, refused report)
the connection is closed without a reply, and only that connection. A peer gets `timeout`
seconds to deliver each request and to take its answer, then it is dropped.
"""

from __future__ import annotations

import logging

import attrs
import trio

from cocoon.errors import CocoonError
from cocoon.roles.seal.config import SealAddress, SealServerConfig
from cocoon.roles.seal.framing import FrameDecoder
from cocoon.roles.seal.messages import GetPersistentKey
from cocoon.roles.seal.transport import (
    listener_address,
    open_seal_listeners,
    receive_frame,
    send_frame,
)

log = logging.getLogger(__name__)


@attrs.frozen
class SealServerHandle:
    address: SealAddress


async def serve_seal(
    config: SealServerConfig,
    *,
    task_status: trio.TaskStatus[SealServerHandle] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Listen and serve until cancelled; `task_status.started` once the socket is bound."""
    listeners = await open_seal_listeners(config.address)
    handle = SealServerHandle(listener_address(listeners[0], config.address))
    log.info("seal server (software enclave, INSECURE) listening on %s", handle.address)

    async def handler(stream: trio.SocketStream) -> None:
        await serve_seal_connection(stream, config)

    async with trio.open_nursery() as nursery:
        await nursery.start(trio.serve_listeners, handler, listeners)
        task_status.started(handle)


async def serve_seal_connection(stream: trio.abc.Stream, config: SealServerConfig) -> None:
    """Answer the requests on one connection, then close it; never raises for a bad peer."""
    peer = _peer_name(stream)
    decoder = FrameDecoder()
    async with stream:
        try:
            while True:
                with trio.move_on_after(config.timeout) as scope:
                    payload = await receive_frame(stream, decoder)
                if scope.cancelled_caught:
                    log.info("seal: %s sent no request in %.0f s; dropped", peer, config.timeout)
                    return
                if payload is None:
                    return
                answer = config.enclave.answer(GetPersistentKey.from_bytes(payload))
                with trio.move_on_after(config.timeout) as scope:
                    await send_frame(stream, answer.to_bytes())
                if scope.cancelled_caught:
                    log.info("seal: %s did not take its answer; dropped", peer)
                    return
                log.info("seal: answered a key request from %s", peer)
        except CocoonError as e:
            log.warning("seal: request from %s refused: %s", peer, e)
        except (trio.BrokenResourceError, trio.ClosedResourceError) as e:
            log.info("seal: connection from %s lost: %s", peer, e)
        except Exception:
            # A bug met by one request ends that connection, never the server.
            log.exception("seal: unexpected error serving %s", peer)


def _peer_name(stream: trio.abc.Stream) -> str:
    sock = getattr(stream, "socket", None)
    try:
        return str(sock.getpeername()) if sock is not None else "a peer"
    except OSError:
        return "a peer"
