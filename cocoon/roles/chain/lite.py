"""The served chain over lite_api too (`cocoon chain serve --lite-port N`): fake liteservers
(`cocoon.ton.lite.fake`) over the embedded chain, so roles in separate processes can run on a
proof-checking `LiteLedger` (`ledger: "ton:DIR/global.config.json?wallet_code=local"`).

Two liteservers by default, on ports N and N+1, over one block producer: trust stage 1 wants
two servers agreeing on the head. Their private keys are kept in the data directory
(`liteserver<i>.key`, made on first use, readable by the owner only), so their public keys,
and the TON global config naming them (`global.config.json`, beside the keys), stay the same
across restarts. The blocks do not: a restarted service starts its masterchain again from
block 1, which roles that trusted a later head refuse (the view never goes back), so restart
the roles with it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import trio

from cocoon.ton.embedded.chain import Chain
from cocoon.ton.lite.adnl import public_key_of
from cocoon.ton.lite.blocks import BlockId
from cocoon.ton.lite.config import GlobalConfig, LiteServerConfig, ValidatorConfig
from cocoon.ton.lite.fake import FAKE_ZERO_STATE, BlockProducer, FakeLiteHandler
from cocoon.ton.lite.server import serve_lite
from cocoon.ton.lite.types import BlockIdExt

LITE_SERVERS = 2  # stage 1's two agreeing liteservers
GLOBAL_CONFIG = "global.config.json"
BLOCK_INTERVAL = 1.0  # seconds between masterchain blocks when nothing changes


def lite_keys(directory: Path, count: int = LITE_SERVERS) -> list[bytes]:
    """The liteservers' private keys kept in `directory` (`liteserver<i>.key`, 32 raw bytes),
    made where missing."""
    directory.mkdir(parents=True, exist_ok=True)
    keys = []
    for i in range(count):
        path = directory / f"liteserver{i}.key"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(os.urandom(32))
        key = path.read_bytes()
        if len(key) != 32:
            raise ValueError(f"{path}: a liteserver key is 32 bytes, not {len(key)}")
        keys.append(key)
    return keys


def global_config(
    host: str, ports: Sequence[int], keys: Sequence[bytes], init_block: BlockId | None = None
) -> GlobalConfig:
    """A TON global config naming the fake liteservers: the fake chain's zero state, and its
    first block as `init_block` where known (trust stage 2 starts there)."""
    zero = FAKE_ZERO_STATE
    init = None
    if init_block is not None:
        b = init_block
        init = BlockIdExt(b.workchain, b.shard_signed, b.seqno, b.root_hash, b.file_hash)
    return GlobalConfig(
        liteservers=tuple(
            LiteServerConfig(host, port, public_key_of(key))
            for port, key in zip(ports, keys, strict=True)
        ),
        validator=ValidatorConfig(
            zero_state=BlockIdExt(
                zero["workchain"], -(2**63), 0, zero["root_hash"], zero["file_hash"]
            ),
            init_block=init,
        ),
    )


def write_global_config(path: Path, config: GlobalConfig) -> None:
    """Write it atomically: a role starting meanwhile reads the old file or the new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(config.to_json(), indent=2) + "\n")
    os.replace(tmp, path)


def lite_ports(first: int, count: int = LITE_SERVERS) -> list[int]:
    return [first + i for i in range(count)]


async def serve_chain_lite(
    chain: Chain,
    first_port: int,
    directory: Path,
    *,
    host: str = "127.0.0.1",
    count: int = LITE_SERVERS,
    task_status: trio.TaskStatus[Path] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve `chain` over lite_api on `count` ports from `first_port` until cancelled; started
    with the path of the global config naming them (written into `directory`)."""
    keys = lite_keys(directory, count)
    producer = BlockProducer(chain, block_interval=BLOCK_INTERVAL)
    async with trio.open_nursery() as nursery:
        await nursery.start(producer.run)
        ports = []
        for i, key in enumerate(keys):
            handler = FakeLiteHandler(producer, name=f"ls{i}")
            port = first_port + i if first_port else 0
            server = await nursery.start(partial(serve_lite, handler, port, key, host=host))
            ports.append(server.port)
        path = directory / GLOBAL_CONFIG
        init = producer.synthetic.mc_blocks[0].id
        advertised = "127.0.0.1" if host in ("0.0.0.0", "") else host
        write_global_config(path, global_config(advertised, ports, keys, init))
        task_status.started(path)
