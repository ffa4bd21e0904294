"""`serve_ledger`: a `Ledger` over HTTP/JSON (POST /<method>, JSON in and out).

Methods: `get_account`, `get_transactions`, `send_external`, `run_get_method`,
`wait_for_change` (long poll: answers `{"changed": false}` after `wait` seconds), `now`,
`wallet_code` (the code the chain's nodes make their wallets with, a hex BOC), and
`faucet` (only for an embedded ledger: local networks fund their wallets with it). A rejected
external answers 409 with the exit code, so the remote side raises the same error.

Only programs call it (the roles' `RemoteLedger`), never a browser: a request with an `Origin`
header (which browsers send with every POST, same-origin ones included) or a `Host` that is
not this server's address (DNS rebinding) is refused, so no web page the operator opens can
use the faucet or send messages. Roles that reach it by a name (`http://chain:10090` between
containers) need that name in `allowed_hosts`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

import trio
from pytoniq_core import Address

from cocoon.errors import CocoonError
from cocoon.http.server import HttpRequest, HttpResponder, serve_http
from cocoon.roles.chain.codec import account_to_json, value_from_json, value_to_json
from cocoon.roles.common.webguard import WebAccess, to_allowed_hosts
from cocoon.ton.cells import to_boc
from cocoon.ton.errors import ExternalRejectedError, LedgerError
from cocoon.ton.ledger import Ledger, transaction_to_json

log = logging.getLogger("cocoon.chain")
MAX_WAIT = 30.0


async def _dispatch(ledger: Ledger, method: str, args: dict[str, Any]) -> Any:
    if method == "get_account":
        return account_to_json(await ledger.get_account(Address(args["address"])))
    if method == "get_transactions":
        txs = await ledger.get_transactions(
            Address(args["address"]), after_lt=int(args.get("after_lt", 0)), limit=args.get("limit")
        )
        return [{"lt": tx.lt, "tx": transaction_to_json(tx)} for tx in txs]
    if method == "send_external":
        await ledger.send_external(bytes.fromhex(args["boc"]))
        return {}
    if method == "run_get_method":
        stack = [value_from_json(v) for v in args.get("stack", [])]
        out = await ledger.run_get_method(Address(args["address"]), args["method"], stack)
        return [value_to_json(v) for v in out]
    if method == "wait_for_change":
        with trio.move_on_after(min(float(args.get("wait", MAX_WAIT)), MAX_WAIT)):
            state = await ledger.wait_for_change(Address(args["address"]), int(args["after_lt"]))
            return {"changed": True, "state": account_to_json(state)}
        return {"changed": False}
    if method == "now":
        return {"now": await ledger.now()}
    if method == "wallet_code":
        return {"code": to_boc(await ledger.wallet_code()).hex()}
    if method == "faucet":
        faucet = getattr(ledger, "faucet", None)
        if faucet is None:
            raise LedgerError("this ledger has no faucet")
        await faucet(Address(args["address"]), int(args["amount"]))
        return {}
    raise LedgerError(f"unknown ledger method {method!r}")


async def _handle(
    ledger: Ledger, access: WebAccess, request: HttpRequest, responder: HttpResponder
) -> None:
    if request.header("origin") is not None or not access.host_allowed(request.header("host")):
        await responder.respond(
            403,
            [("Content-Type", "application/json")],
            json.dumps({"error": "the ledger service does not answer web pages"}).encode(),
        )
        return
    if request.method != "POST":
        await responder.respond(405, body=b"POST only")
        return
    try:
        args = json.loads(request.body or b"{}")
        result = await _dispatch(ledger, request.path.strip("/"), args)
        status, body = 200, result
    except ExternalRejectedError as e:
        status, body = 409, {"exit_code": e.exit_code, "reason": e.reason}
    except (CocoonError, KeyError, ValueError, TypeError) as e:
        status, body = 400, {"error": f"{type(e).__name__}: {e}"}
    await responder.respond(
        status, [("Content-Type", "application/json")], json.dumps(body).encode()
    )


async def serve_ledger(
    ledger: Ledger,
    port: int,
    *,
    host: str = "127.0.0.1",
    allowed_hosts: Sequence[str] = (),
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve `ledger` until cancelled; started with the bound port. Requests must name this
    server in `Host`: an address, localhost, or one of `allowed_hosts` (`name` or `name:port`)."""
    async with trio.open_nursery() as nursery:
        # No access hash here: only the Host rule of the role pages is used.
        access = WebAccess.create(
            "-", bind_host=host, allowed_hosts=to_allowed_hosts(allowed_hosts)
        )
        handler = partial(_handle, ledger, access)
        bound = await nursery.start(partial(serve_http, handler, port, host=host))
        log.info("ledger service on http://%s:%d", host, bound)
        task_status.started(bound)
