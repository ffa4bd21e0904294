"""`cocoon chain serve --path FILE --port N [--fees mainnet|zero] [--lite-port M]`: share one
embedded ledger between processes. It charges mainnet's fees by default, as TON would. With
`--lite-port`, fake liteservers serve the same chain over lite_api too (on M and M+1; their keys
and the TON global config naming them, `global.config.json`, beside the chain file), for roles
on a proof-checking `LiteLedger` (`cocoon.roles.chain.lite`)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    serve = sub.add_parser("serve", help="serve an embedded ledger over HTTP (on --host)")
    serve.add_argument("--path", type=Path, required=True, help="the ledger's sqlite file")
    serve.add_argument("--port", type=int, default=0, help="port (0: any free one, printed)")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        type=_host_name,
        metavar="NAME",
        help="a name roles reach this service by (`http://NAME:PORT`, e.g. between "
        "containers); addresses and localhost are always accepted (repeatable)",
    )
    serve.add_argument(
        "--lite-port",
        type=int,
        metavar="N",
        help="also serve the chain over lite_api: two fake liteservers on N and N+1 (0: any "
        "free ports), named in global.config.json in --lite-dir",
    )
    serve.add_argument(
        "--lite-dir",
        type=Path,
        metavar="DIR",
        help="where the liteservers' keys and global.config.json are kept (default: the chain "
        "file's directory)",
    )

    add_fees_argument(serve)


def add_fees_argument(parser: argparse.ArgumentParser) -> None:
    from cocoon.ton.embedded.fees import FEES_BY_NAME

    parser.add_argument(
        "--fees",
        choices=sorted(FEES_BY_NAME),
        default="mainnet",
        help="the embedded chain's fees: mainnet's prices with our contracts' measured gas "
        "(default), or zero (nothing costs anything)",
    )


def _host_name(text: str) -> str:
    from cocoon.roles.common.webguard import split_host

    try:
        split_host(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"not a host name: {text!r} ({e})") from None
    return text


def run(args: argparse.Namespace) -> int:
    from functools import partial

    import trio

    from cocoon.roles.chain.remote import open_embedded_ledger
    from cocoon.roles.chain.service import serve_ledger
    from cocoon.service import run_service
    from cocoon.ton.embedded.fees import FEES_BY_NAME

    async def main() -> None:
        ledger = open_embedded_ledger(args.path, FEES_BY_NAME[args.fees])
        try:
            async with trio.open_nursery() as nursery:
                port = await nursery.start(
                    partial(
                        serve_ledger,
                        ledger,
                        args.port,
                        host=args.host,
                        allowed_hosts=args.allowed_host,
                    )
                )
                print(f"ledger service: http://{args.host}:{port}", flush=True)
                if args.lite_port is not None:
                    from cocoon.roles.chain.lite import serve_chain_lite

                    config = await nursery.start(
                        partial(
                            serve_chain_lite,
                            ledger.chain,
                            args.lite_port,
                            args.lite_dir or args.path.parent,
                            host=args.host,
                        )
                    )
                    print(f"liteservers: ton:{config}", flush=True)
        finally:
            ledger.close()

    try:
        run_service(main)
    except KeyboardInterrupt:
        return 130
    return 0
