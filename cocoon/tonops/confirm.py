"""Show what a command will send, then ask before it spends.

`Outgoing` is one message as the operator should see it: from, to, value, whether it bounces,
the StateInit it deploys and the body decoded back from the cell that will be signed (so what
is shown is what is sent). `confirm` prints it and asks `Send? [y/N]`; with `--yes` it does
not ask, and without a terminal to ask on it refuses rather than guess.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, TextIO

import attrs
import trio
from pytoniq_core import Address, Cell

from cocoon.errors import CocoonError
from cocoon.ton.bodies import Body, NetAddr
from cocoon.ton.cells import cell_hash, describe_address, friendly
from cocoon.tonops.amounts import format_ton


class NotSentError(CocoonError):
    """The operator said no, or could not be asked: nothing was sent."""


@attrs.frozen
class Outgoing:
    """One message a wallet will send, for people."""

    sender: Address
    dest: Address
    value: int
    what: str  # one line: what it does
    bounce: bool = True
    body: Body | None = attrs.field(default=None, eq=False)
    comment: str | None = None
    state_init: Cell | None = attrs.field(default=None, eq=False)
    notes: tuple[str, ...] = ()


def _field(value: Any, testnet: bool) -> str:
    if isinstance(value, Address):
        return friendly(value, testnet=testnet, bounceable=True)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Cell):
        return f"<cell {cell_hash(value).hex()}>"
    if isinstance(value, NetAddr):
        return repr(value.address) + ("" if value.kind == 0 else f" (type {value.kind})")
    if attrs.has(type(value)):
        return ", ".join(f"{f.name}={_field(getattr(value, f.name), testnet)}"
                         for f in attrs.fields(type(value)))  # fmt: skip
    return str(value)


def describe(out: Outgoing, *, testnet: bool = False) -> list[str]:
    lines = [
        out.what,
        f"  from    {friendly(out.sender, testnet=testnet, bounceable=True)} (your wallet)",
        f"  to      {describe_address(out.dest, testnet=testnet, bounceable=out.bounce)}",
        f"  value   {format_ton(out.value)} ({out.value} nano)",
        f"  bounce  {'yes' if out.bounce else 'no'}",
    ]
    if out.state_init is not None:
        lines.append(f"  deploys StateInit {cell_hash(out.state_init).hex()}")
    if out.body is not None:
        lines.append(f"  op      {type(out.body).__name__} (0x{out.body.OP:08x})")
        for f in attrs.fields(type(out.body)):
            lines.append(f"    {f.name} = {_field(getattr(out.body, f.name), testnet)}")
    elif out.comment is not None:
        lines.append(f"  comment {out.comment!r}")
    else:
        lines.append("  body    (empty)")
    lines += [f"  note: {n}" for n in out.notes]
    return lines


async def confirm(
    lines: Sequence[str],
    *,
    yes: bool,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> None:
    """Print `lines`, then ask. Returns when the answer is yes; raises `NotSentError` on
    anything else, and when stdin is no terminal and `yes` was not given."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    for line in lines:
        print(line, file=stdout)
    if yes:
        return
    if not stdin.isatty():
        raise NotSentError("not sent: stdin is not a terminal to ask on (pass --yes to send)")
    print("Send? [y/N] ", end="", file=stdout, flush=True)
    answer = await trio.to_thread.run_sync(stdin.readline)
    if answer.strip().lower() not in ("y", "yes"):
        raise NotSentError("not sent")
