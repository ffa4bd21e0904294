"""The Ledger interface on the embedded chain: reads, waiting, get-methods, persistence."""

from __future__ import annotations

import trio
import trio.testing

from cocoon import ton
from cocoon.ton import flows
from tests.ton.helpers import addr

T = ton.ONE_TON


async def _network(ledger: ton.EmbeddedLedger):
    chain = ledger.chain
    owner = chain.create_user(addr(1), 10 * T)
    root = ton.deploy_root(chain, owner=owner)
    wallet = await ton.open_wallet(ledger, b"\x0a" * 32, owner)
    await ledger.faucet(wallet.address, 20 * T)
    config = await ton.read_root_config(ledger, root)
    signer = ton.PaymentSigner(b"\x0b" * 32)
    proxy = ton.ProxyContract(owner, signer.public_key, root, config.params)
    return owner, root, wallet, proxy, signer


async def test_reads_and_get_methods() -> None:
    ledger = ton.EmbeddedLedger(clock=ton.ManualClock(1_800_000_000))
    owner, root, wallet, proxy, _ = await _network(ledger)
    assert await ledger.now() == 1_800_000_000
    missing = await ledger.get_account(addr(99))
    assert missing.status is ton.AccountStatus.NONEXIST and missing.balance == 0
    uninit = await ledger.get_account(wallet.address)
    assert uninit.status is ton.AccountStatus.UNINIT and uninit.balance == 20 * T
    await wallet.send(flows.deploy(proxy))
    state = await ledger.get_account(proxy.address)
    assert state.active and state.data_boc is not None
    assert ton.ProxyStorage.from_cell(ton.from_boc(state.data_boc)).owner == owner
    txs = await ledger.get_transactions(wallet.address)
    assert len(txs) == 1 and txs[0].in_msg.src is None
    assert await ledger.get_transactions(wallet.address, after_lt=txs[0].lt) == []
    data = await ledger.run_get_method(proxy.address, "get_cocoon_proxy_data")
    assert data[0] == owner and data[3] == 0 and data[-1] == 1
    assert (await ledger.run_get_method(root, "last_proxy_seqno")) == [0]
    views = {v.kind: v for v in ledger.chain.contracts()}
    assert set(views) == {"root", "proxy", "wallet"}
    assert views["proxy"].balance == 3 * T // 10


async def test_wait_for_change_wakes_on_a_transaction() -> None:
    ledger = ton.EmbeddedLedger(clock=ton.ManualClock())
    _, _, wallet, proxy, _ = await _network(ledger)
    await wallet.send(flows.deploy(proxy))
    start = (await ledger.get_account(proxy.address)).last_tx_lt
    seen: list[ton.AccountState] = []

    async def watcher() -> None:
        seen.append(await ledger.wait_for_change(proxy.address, start))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(watcher)
        await trio.testing.wait_all_tasks_blocked()
        assert seen == []
        await wallet.send(flows.proxy_state_commit(proxy.address, 1, b"\x01" * 32))
    assert seen and seen[0].last_tx_lt > start
    commit = (await ledger.get_transactions(proxy.address, after_lt=start))[0]
    assert isinstance(ton.parse_body(commit.in_msg.body, "proxy"), ton.bodies.ProxySaveState)
    assert commit.in_msg.src == wallet.address


async def test_external_rejection_is_reported() -> None:
    ledger = ton.EmbeddedLedger(clock=ton.ManualClock())
    _, _, wallet, _, _ = await _network(ledger)
    ext = ton.build_wallet_external(
        wallet.contract,
        b"\x0c" * 32,
        seqno=0,
        valid_until=await ledger.now() + 60,
        transfers=[ton.Transfer(dest=addr(1), value=T)],
    )
    try:
        await ledger.send_external(ton.to_boc(ext.to_cell()))
    except ton.ExternalRejectedError as exc:
        assert exc.exit_code == ton.ExitCode.WALLET_BAD_SIGNATURE
    else:
        raise AssertionError("a wrongly signed external was accepted")


async def test_a_restarted_network_keeps_its_money(tmp_path) -> None:
    path = tmp_path / "chain.sqlite"
    clock = ton.ManualClock()
    ledger = ton.EmbeddedLedger(path=path, clock=clock)
    owner, root, wallet, proxy, signer = await _network(ledger)
    client_wallet = await ton.open_wallet(ledger, b"\x0d" * 32, owner)
    await ledger.faucet(client_wallet.address, 30 * T)
    client = proxy.client(client_wallet.address)
    await wallet.send(flows.deploy(proxy))
    await client_wallet.send(
        flows.deploy(client), flows.client_top_up(client.address, 10 * T, client_wallet.address)
    )
    before = {k: a.balance for k, a in ledger.chain.accounts.items()}
    history = await ledger.get_transactions(proxy.address)
    ledger.close()

    again = ton.EmbeddedLedger(path=path, clock=clock)
    assert {k: a.balance for k, a in again.chain.accounts.items()} == before
    assert again.chain.minted == ledger.chain.minted and again.chain.total() == again.chain.minted
    replayed = await again.get_transactions(proxy.address)
    assert [(t.lt, t.hash, t.in_msg.body_hash) for t in replayed] == [
        (t.lt, t.hash, t.in_msg.body_hash) for t in history
    ]
    # What is newer than a logical time, oldest first, optionally the first `limit` of it.
    lts = [t.lt for t in history]
    assert len(lts) >= 2 and lts == sorted(set(lts))
    for after in (0, lts[0] - 1, lts[0], lts[1], lts[-1] - 1, lts[-1]):
        expected = [lt for lt in lts if lt > after]
        assert [t.lt for t in await again.get_transactions(proxy.address, after_lt=after)] == (
            expected
        )
        got = await again.get_transactions(proxy.address, after_lt=after, limit=2)
        assert [t.lt for t in got] == expected[:2]
    # It keeps working: seqnos, codes and contracts survived.
    wallet2 = await ton.open_wallet(again, b"\x0a" * 32, owner)
    assert await wallet2.seqno() == 1
    await wallet2.send(
        flows.client_charge(signer.client_charge(client.address, 1000, wallet2.address))
    )
    assert (await ton.read_contract(again, client.address, "client")).tokens_used == 1000
    assert (await ton.read_root_config(again, root)).params_version == 1


def test_the_package_docstring_example_runs() -> None:
    import textwrap

    code = ton.__doc__.split("::\n", 1)[1].split("\nImport rule")[0]
    exec(compile(textwrap.dedent(code), "cocoon.ton docstring", "exec"), {})
