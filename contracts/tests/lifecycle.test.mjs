// A payment cycle across our proxy, client and worker contracts, all derived by
// cocoon/ton/contracts.py from our BOCs, with messages built by our Python builders
// (tests/vectors/lifecycle.json, written by scripts/make_payment_vectors.py).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Address, Cell } from '@ton/core';
import { Blockchain, createShardAccount, internal } from '@ton/sandbox';
import { loadCode, loadVectors, cell } from './vector_runner.mjs';

const TON = 1_000_000_000n;
const NOW = 1_700_000_000;
const STRANGER = Address.parse('0:' + 'c3'.repeat(32));

function storageUsed(root) {
    const seen = new Set();
    let bits = 0n;
    const walk = (c) => {
        const h = c.hash().toString('hex');
        if (seen.has(h)) return;
        seen.add(h);
        bits += BigInt(c.bits.length);
        c.refs.forEach(walk);
    };
    walk(root);
    return { cells: BigInt(seen.size), bits };
}

async function place(chain, name, v, balance) {
    const address = Address.parse(v.address);
    const code = loadCode(name);
    const data = cell(v.data);
    const account = createShardAccount({ address, code, data, balance });
    account.account.storageStats.lastPaid = NOW;
    account.account.storageStats.used = storageUsed(new Cell({ refs: [code, data] }));
    await chain.setShardAccount(address, account);
    return address;
}

const on = (res, address) => res.transactions.filter((tx) => tx.inMessage.info.dest?.equals?.(address));
const exit = (tx) => tx.description.computePhase.type === 'vm' ? tx.description.computePhase.exitCode : 'skipped';

async function proxyData(chain, proxy) {
    const s = (await chain.getContract(proxy)).accountState.state.data.beginParse();
    s.loadAddress();
    s.loadBuffer(32);
    s.loadAddress();
    return { state: s.loadUint(2), balance: s.loadCoins(), stake: s.loadCoins() };
}

test('lifecycle: top-up, charge, worker payout, grant refund across proxy, client and worker', async () => {
    const v = loadVectors('lifecycle');
    const chain = await Blockchain.create();
    chain.now = NOW;
    const proxy = await place(chain, 'proxy', v.proxy, TON);
    const client = await place(chain, 'client', v.client, TON / 5n);
    const worker = await place(chain, 'worker', v.worker, TON / 5n);
    const clientOwner = Address.parse(v.client.owner);
    const workerOwner = Address.parse(v.worker.owner);
    const send = (to, body, value) => chain.sendMessage(internal({ from: STRANGER, to, value, body: cell(body), bounce: true }));

    // top-up: the client forwards the coins to the proxy, which checks the client's address
    let res = await send(client, v.steps.top_up, 2n * TON + 3n * TON / 10n);
    assert.equal(exit(on(res, client)[0]), 0);
    assert.equal(exit(on(res, proxy)[0]), 0, 'proxy accepts the top-up of its own client');
    // the proxy keeps what it held plus the coins; the rest of the value goes on as excesses
    assert.equal((await chain.getContract(proxy)).balance, 3n * TON);

    // charge: the client's 1-nano state notice cannot buy gas: the proxy's compute phase is
    // skipped (issue 14 finding 1), while the client's own data moves
    res = await send(client, v.steps.charge, 3n * TON / 10n);
    assert.equal(exit(on(res, client)[0]), 0);
    const notice = on(res, proxy)[0];
    assert.equal(exit(notice), 'skipped');
    assert.equal(notice.description.aborted, true);
    const cs = (await chain.runGetMethod(client, 'get_cocoon_client_data')).stackReader;
    cs.readAddress(); cs.readAddress(); cs.readBigNumber(); cs.readNumber();
    assert.equal(cs.readBigNumber(), 2n * TON - BigInt(v.tokens) * 40n);

    // worker payout: the proxy pays the worker's owner its fee and keeps the commission
    res = await send(worker, v.steps.payout, 3n * TON / 10n);
    assert.equal(exit(on(res, worker)[0]), 0);
    assert.equal(exit(on(res, proxy)[0]), 0);
    const paid = on(res, workerOwner)[0];
    assert.equal(paid.inMessage.info.value.coins, BigInt(v.tokens) * 30n);
    assert.equal((await proxyData(chain, proxy)).balance, BigInt(v.tokens) * 10n);

    // grant refund: the client closes and the proxy pays what is left to the client's owner
    res = await send(client, v.steps.grant_refund, 3n * TON / 10n);
    assert.equal(exit(on(res, client)[0]), 0);
    assert.equal(exit(on(res, proxy)[0]), 0);
    const refund = on(res, clientOwner)[0];
    assert.equal(refund.inMessage.info.value.coins, 2n * TON - BigInt(v.tokens) * 40n);
    const after = (await chain.runGetMethod(client, 'get_cocoon_client_data')).stackReader;
    after.readAddress(); after.readAddress(); after.readBigNumber();
    assert.equal(after.readNumber(), 2);
    assert.equal(after.readBigNumber(), 0n);
});
