"""Code cells: which ones exist here, and how they are known.

A contract's address is the hash of its StateInit, which depends on its code cell only through
the code's hash and depth. So a code cell known only by (hash, depth) is enough to derive every
address exactly; we represent it as a *pruned branch* cell (the TON form for "a subtree known by
its hash"), and `cells.cell_hash` (the level-0 hash) of any tree holding it equals the hash of
the tree holding the real code. Such cells can be hashed and stored in BOCs, never executed.

What is here:

* `LOCAL_CODES`: our own compiled contracts (contracts/src, FunC 0.4.6), real code cells loaded
  from the BOCs in `cocoon/ton/compiled/` (written by `contracts/scripts/build.mjs`, equal to
  `contracts/build/`). Local networks on the embedded ledger run them (the chain maps their
  hashes to the Python ports), so a root made locally can be deployed to a real chain as it is.
  `LOCAL_CODES.wallet` is our CocoonWallet: the nodes of a local network make their wallets
  with it, so each wallet's StateInit holds real code and could be deployed anywhere.
* `COCOON_WALLET_CODE`: the reference's CocoonWallet code, by identity (hash `7a48f05c...`,
  spec 30 section 7; depth 6, measured on the reference's BOC). Mainnet wallets are made with
  it, and so are the wallets of the reference's fake-TON mode: with it a wallet address equals
  the reference's (spec 30 section 16, vector 2).
* `REFERENCE_FAKE_CODES`: the proxy/worker/client codes of the reference's fake-TON mode
  (`spec/fake-ton/runtime.vars`), by identity, and the reference's wallet code. With them the
  addresses equal those the reference computes in fake mode (spec 30 sections 13 and 16,
  vector 3).
* `local_code(kind)`: a plainly named cell (`cocoon-local:<kind>:v1`), not code. Local networks
  used these before our contracts existed; a chain persisted then keeps their kinds in its store.

A real chain hands out real code cells in the root params; those work everywhere unchanged.
The root's data holds no wallet code, so a chain says which wallet code its nodes use:
`Ledger.wallet_code()` (an embedded chain's `Chain.wallet_code`, kept in its store; a chain
service passes its own on; a real chain: the reference's, as mainnet wallets are).
"""

from __future__ import annotations

from pathlib import Path

import attrs
from pytoniq_core import Cell, begin_cell
from pytoniq_core.boc.exotic import CellTypes

from cocoon.ton.cells import cell_hash, from_boc
from cocoon.ton.errors import CellEncodeError

_PRUNED_BRANCH = 1
_LEVEL_MASK_1 = 1


def code_by_hash(code_hash: bytes, depth: int) -> Cell:
    """A pruned-branch cell standing for a code cell with this representation hash and depth."""
    if len(code_hash) != 32 or not 0 <= depth < 1024:
        raise CellEncodeError("code identity needs a 32-byte hash and a depth below 1024")
    bits = (
        begin_cell()
        .store_uint(_PRUNED_BRANCH, 8)
        .store_uint(_LEVEL_MASK_1, 8)
        .store_bytes(code_hash)
        .store_uint(depth, 16)
        .bits
    )
    return Cell(bits, [], CellTypes.pruned_branch)


def is_identity_only(code: Cell) -> bool:
    """True for a code cell known only by its hash (cannot be deployed to a real chain)."""
    return code.type_ == CellTypes.pruned_branch


def local_code(kind: str) -> Cell:
    """The local code cell of a contract kind: the ASCII text `cocoon-local:<kind>:v1`."""
    return begin_cell().store_bytes(f"cocoon-local:{kind}:v1".encode()).end_cell()


COMPILED = Path(__file__).with_name("compiled")


def compiled_code(name: str) -> Cell:
    """Our compiled contract `name` (root, proxy, worker, client, wallet), from the package."""
    # A path beside this module (the package is always unpacked): `importlib.resources` would
    # import its zip readers (zipfile, bz2, lzma) into every role for four small files.
    return from_boc((COMPILED / f"{name}.boc").read_bytes())


@attrs.frozen
class ContractCodes:
    """One code cell per contract kind (a wallet code too, where the set has one: the code
    the nodes of a network built on these codes make their wallets with)."""

    root: Cell
    proxy: Cell
    worker: Cell
    client: Cell
    wallet: Cell | None = None

    def kinds(self) -> dict[bytes, str]:
        """code hash -> kind name."""
        kinds = {
            cell_hash(self.root): "root",
            cell_hash(self.proxy): "proxy",
            cell_hash(self.worker): "worker",
            cell_hash(self.client): "client",
        }
        if self.wallet is not None:
            kinds[cell_hash(self.wallet)] = "wallet"
        return kinds


COCOON_WALLET_CODE_HASH = bytes.fromhex(
    "7a48f05ceef40f06cabbaa39c1c5a67b24e8bb59d8cf8a74e49988a5f44cf66a"
)
COCOON_WALLET_CODE_DEPTH = 6
COCOON_WALLET_CODE = code_by_hash(COCOON_WALLET_CODE_HASH, COCOON_WALLET_CODE_DEPTH)

# The reference's fake-TON codes (old, pre-release contract generation; only ever hashed).
REFERENCE_FAKE_CODES = ContractCodes(
    root=local_code("root"),  # the reference never derives the root address
    proxy=code_by_hash(
        bytes.fromhex("532e707649e4161be4d816e2b6f97f82e602855a4cd3475883028d054c6e72ef"), 4
    ),
    worker=code_by_hash(
        bytes.fromhex("657cb7ca586d77e88066effadf10f3eddea7d3487e809220e770d9dc4e596023"), 2
    ),
    client=code_by_hash(
        bytes.fromhex("5d8a54e4462dd52f747bae8c1edca819fd2f462be05c1fc595cc2a34e6b18c44"), 5
    ),
    wallet=COCOON_WALLET_CODE,  # fake mode's wallets are the reference's (mainnet) wallets
)

# Our contracts, as compiled: what local networks deploy and run.
LOCAL_CODES = ContractCodes(
    root=compiled_code("root"),
    proxy=compiled_code("proxy"),
    worker=compiled_code("worker"),
    client=compiled_code("client"),
    wallet=compiled_code("wallet"),
)

# Mainnet code hashes as published (spec 30 section 15). Depths are unknown, so these cannot
# derive addresses; they identify mainnet code when a real chain returns it.
MAINNET_CODE_HASHES = {
    "root": bytes.fromhex("5b07c6bd0c34735874dfa3548cd9a01c78be1e0fdf20d0c5ebe37776396c5400"),
    "proxy": bytes.fromhex("00b2c57d43c1dbc3e12cfa240494a168c78feca90a9b99ebe796b139ed713890"),
    "worker": bytes.fromhex("1aaa0512c489a0382b163f7d706e2b4182f1a38fcc46208be5fa22d7faed5aa7"),
    "client": bytes.fromhex("974d24538e6003b1a393f8708525b81324cf8a78aee88b4585d51b6f64555147"),
    "wallet": COCOON_WALLET_CODE_HASH,
}
