"""A scripted life cycle on the embedded ledger, with every balance checked to the nano.

Deploy root, fund wallets, client top-up and stake, charges, worker payout, client close with
refund, proxy withdraw and close. Zero fees, so every TON is accounted for exactly.
"""

from __future__ import annotations

from cocoon import ton
from cocoon.ton import flows
from tests.ton.helpers import addr

T = ton.ONE_TON
N = 1  # one nano


async def test_life_cycle() -> None:
    clock = ton.ManualClock()
    chain = ton.Chain(clock=clock)
    ledger = ton.EmbeddedLedger(chain)
    governance = chain.create_user(addr(1), 10 * T)
    root = ton.deploy_root(chain, owner=governance, proxies=["127.0.0.1:8801 127.0.0.1:8802"])
    config = await ton.read_root_config(ledger, root)
    assert (config.price_per_token, config.worker_fee_per_token) == (2, 1)
    assert config.proxies[0].clients_endpoint == ("127.0.0.1", 8802)

    proxy_owner, client_human, worker_owner = (chain.create_user(addr(i), 5 * T) for i in (2, 3, 4))
    pw = await ton.open_wallet(ledger, bytes([10]) * 32, proxy_owner)
    cw = await ton.open_wallet(ledger, bytes([11]) * 32, client_human)
    ww = await ton.open_wallet(ledger, bytes([12]) * 32, worker_owner)
    await ledger.faucet(pw.address, 50 * T)
    await ledger.faucet(cw.address, 100 * T)
    await ledger.faucet(ww.address, 10 * T)

    signer = ton.PaymentSigner(bytes([20]) * 32)
    proxy = ton.ProxyContract(proxy_owner, signer.public_key, root, config.params)
    client = proxy.client(cw.address)
    worker = proxy.worker(worker_owner)

    def bal(a):
        return chain.balance(a if isinstance(a, type(root)) else a.address)

    # Deployments and the client's top-up (the deposit moves on to the proxy contract).
    await pw.send(flows.deploy(proxy))
    await cw.send(flows.deploy(client), flows.client_top_up(client.address, 20 * T, cw.address))
    await ww.send(flows.deploy(worker))
    assert (bal(proxy), bal(client), bal(worker)) == (
        20 * T + 3 * T // 10,
        8 * T // 10,
        3 * T // 10,
    )
    assert bal(cw) == 100 * T - 8 * T // 10 - 20 * T
    c = await ton.read_contract(ledger, client.address, "client")
    assert (c.balance, c.stake, c.state) == (20 * T, T, 0)

    # The client checks the proxy's charge before it lands, then the proxy submits it.
    tokens = 3 * 10**9  # 6 TON at 2 nano per token
    data = signer.client_charge(client.address, tokens, pw.address).to_boc()
    charge = ton.verify_payment(
        data,
        kind=ton.PaymentKind.CLIENT_CHARGE,
        proxy_public_key=signer.public_key,
        contract=client.address,
    )
    await pw.send(flows.client_charge(charge))
    c = await ton.read_contract(ledger, client.address, "client")
    assert (c.balance, c.tokens_used) == (14 * T, tokens)
    assert bal(pw) == 50 * T - 3 * T // 10 - N  # the 1-nano notification stays in the proxy

    # The worker submits the proxy's payout itself: 3 TON to its owner, 3 TON of proxy earnings.
    payout = signer.worker_payout(worker.address, tokens, pw.address)
    await ww.send(flows.worker_payout(payout, ww.address))
    assert bal(worker_owner) == 8 * T
    p = await ton.read_contract(ledger, proxy.address, "proxy")
    assert p.balance == 3 * T
    assert (await ton.read_contract(ledger, worker.address, "worker")).tokens == tokens

    # Client close: above-stake refund now, the rest when the proxy grants the final refund.
    await cw.send(flows.client_close(client.address, cw.address))
    c = await ton.read_contract(ledger, client.address, "client")
    assert (c.state, c.balance) == (ton.ContractState.CLOSING, T)
    await pw.send(
        flows.submit_payment(signer.client_grant_refund(client.address, tokens, pw.address))
    )
    c = await ton.read_contract(ledger, client.address, "client")
    assert (c.state, c.balance) == (ton.ContractState.CLOSED, 0)
    assert bal(cw) == 100 * T - 8 * T // 10 - 6 * T  # everything but the charge and deploy money
    assert bal(client) == T // 100

    # Proxy: withdraw earnings, then close (request, wait, complete).
    await pw.send(flows.proxy_withdraw(proxy.address, pw.address))
    assert bal(proxy_owner) == 8 * T
    await pw.send(flows.submit_payment(signer.proxy_close_request(proxy.address, pw.address)))
    clock.advance(config.params.proxy_delay_before_close)
    await pw.send(flows.submit_payment(signer.proxy_close_complete(proxy.address, pw.address)))
    p = await ton.read_contract(ledger, proxy.address, "proxy")
    assert (p.state, p.balance, p.stake) == (ton.ContractState.CLOSED, 0, 0)

    expected = {
        governance: 10 * T,
        root: T,
        proxy_owner: 9 * T + 29 * T // 100 + N,
        client_human: 5 * T,
        worker_owner: 8 * T,
        pw.address: 49 * T + 49 * T // 100 - N,
        cw.address: 93 * T + 2 * T // 10,
        ww.address: 9 * T + 7 * T // 10,
        proxy.address: T // 100,
        client.address: T // 100,
        worker.address: 3 * T // 10,
    }
    assert {a: chain.balance(a) for a in expected} == expected
    assert sum(expected.values()) == chain.minted == 186 * T
    assert chain.total() == chain.minted and chain.fees_collected == 0
    assert await pw.seqno() == 6 and await cw.seqno() == 2 and await ww.seqno() == 2


async def test_fees_are_collected_and_conserved() -> None:
    chain = ton.Chain(clock=ton.ManualClock(), fees=ton.MAINNET_FLOOR)
    ledger = ton.EmbeddedLedger(chain)
    owner = chain.create_user(addr(1), 10 * T)
    root = ton.deploy_root(chain, owner=owner)
    config = await ton.read_root_config(ledger, root)
    pw = await ton.open_wallet(ledger, bytes([10]) * 32, owner)
    cw = await ton.open_wallet(ledger, bytes([11]) * 32, owner)
    await ledger.faucet(pw.address, 10 * T)
    await ledger.faucet(cw.address, 10 * T)
    signer = ton.PaymentSigner(bytes([20]) * 32)
    proxy = ton.ProxyContract(owner, signer.public_key, root, config.params)
    client = proxy.client(cw.address)
    await pw.send(flows.deploy(proxy))
    await cw.send(flows.deploy(client), flows.client_top_up(client.address, 2 * T, cw.address))
    await pw.send(flows.client_charge(signer.client_charge(client.address, 100, pw.address)))
    assert chain.fees_collected > 0
    assert chain.total() == chain.minted
    assert (await ton.read_contract(ledger, client.address, "client")).tokens_used == 100
