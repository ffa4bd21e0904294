"""`cocoon client-funds URL ACTION`: manage a running client's money with its proxies.

    cocoon client-funds http://127.0.0.1:10000 status
    cocoon client-funds http://127.0.0.1:10000 close        # close every channel (refund)
    cocoon client-funds http://127.0.0.1:10000 withdraw --proxy EQ...
    cocoon client-funds http://127.0.0.1:10000 topup --amount 2000000000

It talks to the client's HTTP pages (`/jsonstats`, `POST /request/<action>?proxy=`), so the
running client, which holds the wallet key, signs and sends the messages. The pages need the
client's access hash (its `http_access_hash`, or the one it printed at start): `--access-hash`
or the `COCOON_ACCESS_HASH` environment variable. It goes in the `X-Access-Hash` header, which
is also what lets a POST through without the dashboard's CSRF token.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import sys
from urllib.parse import urlencode, urlsplit

ACTIONS = ("status", "close", "withdraw", "topup", "charge")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "url", help="the running client's HTTP address, e.g. http://127.0.0.1:10000"
    )
    parser.add_argument(
        "action",
        choices=ACTIONS,
        help="status: show the channels; the others: the running client sends that message "
        "to each channel's contract (or --proxy's)",
    )
    parser.add_argument("--proxy", help="one proxy contract (default: every channel)")
    parser.add_argument("--amount", type=int, help="topup: nano-TON (default: one stake)")
    parser.add_argument(
        "--access-hash",
        default=os.environ.get("COCOON_ACCESS_HASH", ""),
        help="the client's access hash (http_access_hash, or the one it printed at start; "
        "default: $COCOON_ACCESS_HASH)",
    )


async def _call(
    http, method: str, path: str, params: dict[str, str], access_hash: str
) -> tuple[int, bytes]:
    query = f"?{urlencode(params)}" if params else ""
    headers = [("X-Access-Hash", access_hash)] if access_hash else []
    async with http.request(method, path + query, headers=headers) as resp:
        return resp.status, await resp.read()


def _text(page: bytes) -> str:
    """The message of a `/request/*` answer (a line of HTML and a back link)."""
    body = page.decode(errors="replace")
    match = re.search(r"<body>(.*?)<br", body, re.S)
    return html.unescape(match.group(1).strip() if match else body.strip())


async def _main(args: argparse.Namespace) -> int:
    from cocoon.http.errors import HttpError

    try:
        parts = urlsplit(args.url)
        port = parts.port or 80
    except ValueError:  # a port that is not a number
        parts, port = None, 0
    if parts is None or parts.scheme != "http" or not parts.hostname:
        print(f"cocoon: expected http://host[:port], got {args.url!r}", file=sys.stderr)
        return 2
    try:
        return await _act(args, parts.hostname, port)
    except HttpError as e:  # the client is not running there, or left mid-answer
        print(f"cocoon: {args.url}: {e}", file=sys.stderr)
        return 1


async def _act(args: argparse.Namespace, host: str, port: int) -> int:
    from cocoon.http.client import HttpClient

    async with HttpClient(host, port) as http:
        status, body = await _call(http, "GET", "/jsonstats", {}, args.access_hash)
        if status in (401, 403):
            print(
                f"cocoon: {args.url}/jsonstats answered {status}: pass the client's access hash "
                "(--access-hash or COCOON_ACCESS_HASH; the client prints it at start)",
                file=sys.stderr,
            )
            return 1
        if status != 200:
            print(f"cocoon: {args.url}/jsonstats answered {status}", file=sys.stderr)
            return 1
        proxies = json.loads(body).get("proxies", [])
        if args.action == "status":
            for p in proxies:
                print(json.dumps(p, indent=2))
            return 0
        targets = [args.proxy] if args.proxy else [p["proxy_sc_address"] for p in proxies]
        if not targets:
            print("no payment channels yet")
            return 1
        failed = False
        for proxy in targets:
            params = {"proxy": proxy}
            if args.amount is not None:
                params["amount"] = str(args.amount)
            path = f"/request/{args.action}"
            status, page = await _call(http, "POST", path, params, args.access_hash)
            text = _text(page)
            print(f"{proxy}: {text}")
            failed |= status != 200 or text.startswith(("failed", "proxy not found"))
        return 1 if failed else 0


def run(args: argparse.Namespace) -> int:
    import trio

    return trio.run(_main, args)
