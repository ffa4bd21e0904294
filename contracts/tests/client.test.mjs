import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Address, beginCell } from '@ton/core';
import { runVectors, loadCode, loadVectors, cell, chainWith, deliver } from './vector_runner.mjs';

test('client: Python-built messages do in FunC what the port does', async (t) => {
    await runVectors(t, 'client');
});

async function after(name) {
    const v = loadVectors('client');
    const address = Address.parse(v.address);
    const c = v.cases.find((x) => x.name === name);
    const chain = await chainWith(loadCode('client'), address, cell(c.data), BigInt(c.balance), c.now);
    const got = await deliver(chain, address, { body: cell(c.body), sender: c.sender, value: BigInt(c.value) });
    const s = (await chain.runGetMethod(address, 'get_cocoon_client_data')).stackReader;
    const data = {
        owner: s.readAddress(), proxy: s.readAddress(), key: s.readBigNumber(), state: s.readNumber(),
        balance: s.readBigNumber(), stake: s.readBigNumber(), tokensUsed: s.readBigNumber(),
        unlockTs: s.readNumber(), secretHash: s.readBigNumber(),
    };
    return { got, data, c };
}

// spec 30 5.4, from 5 TON and 1000 tokens used at 40 nano per token
test('client: charge arithmetic (spec 30 5.4)', async () => {
    const cases = [
        ['charge', 1000n + 1_000_000n, 5_000_000_000n - 1_000_000n * 40n],
        ['charge_equal_balance', 1000n + 125_000_000n, 0n],
        ['charge_one_token_less', 999n + 125_000_000n, 40n],
        ['charge_over_balance', 1000n + 1_000_000_000n, 0n],
    ];
    for (const [name, tokens, balance] of cases) {
        const { got, data } = await after(name);
        assert.equal(got.exitCode, 0, name);
        assert.equal(data.tokensUsed, tokens, name);
        assert.equal(data.balance, balance, name);
        assert.equal(data.stake, 1_000_000_000n, name);
        // forward_info: the new state to the proxy (1 nano, bounceable), then the excesses
        assert.equal(got.out.length, 2);
        assert.equal(got.out[0].value, 1n);
        assert.equal(got.out[0].bounce, true);
        assert.equal(got.out[1].bounce, false);
        assert.equal(got.out[1].body.beginParse().loadUint(32), 0x2565934c);
    }
});

test('client: top-up moves everything above the reserve to the proxy', async () => {
    const { got, data, c } = await after('top_up');
    assert.equal(got.exitCode, 0);
    assert.equal(data.balance, 2_000_000_000n);
    assert.equal(data.state, 0);
    assert.equal(got.out.length, 1);
    // reserve max(balance before, 0.11 TON) = 1 TON: the 2.2 TON value less gas goes on
    const v = got.out[0].value;
    assert.ok(v > 2_180_000_000n && v < BigInt(c.value), `${v}`);
});

test('client: request refund closes after the delay', async () => {
    const { data } = await after('request_refund_normal_info');
    assert.equal(data.state, 1);
    assert.equal(data.unlockTs, 1_700_000_000 + 3600);
    const closed = await after('request_refund_closing');
    assert.equal(closed.data.state, 2);
    assert.equal(closed.data.balance, 0n);
});

test('client: bounced messages and empty bodies are ignored', async () => {
    const v = loadVectors('client');
    const address = Address.parse(v.address);
    const c = v.cases.find((x) => x.name === 'top_up');
    for (const bounced of [true, false]) {
        const chain = await chainWith(loadCode('client'), address, cell(c.data), BigInt(c.balance), c.now);
        const body = bounced ? cell(c.body) : cell('b5ee9c72010101010002000000');
        const got = await deliver(chain, address, { body, sender: c.sender, value: BigInt(c.value), bounced });
        assert.equal(got.exitCode, 0);
        assert.equal(got.out.length, 0);
        assert.equal(got.data.hash().toString('hex'), cell(c.data).hash().toString('hex'));
    }
});

// Issue 14 finding 6: what the TVM does with non-standard addresses in bodies (the FunC reads any
// MsgAddress; only a message sent to one fails, in the action phase).
test('client: non-standard addresses in bodies', async () => {
    const { keyPairFromSeed, sign } = await import('@ton/crypto');
    const v = loadVectors('client');
    const address = Address.parse(v.address);
    const top = v.cases.find((x) => x.name === 'top_up');
    const reg = v.cases.find((x) => x.name === 'register');
    const fresh = async (c) => chainWith(loadCode('client'), address, cell(c.data), BigInt(c.balance), c.now);
    const excess = Address.parse('0:' + 'd4'.repeat(32));

    // top-up with addr_none as excess address: accepted (the address only rides to the proxy)
    const topUp = beginCell().storeUint(0xf172e6c2, 32).storeUint(1, 64).storeCoins(2_000_000_000n)
        .storeAddress(null).endCell();
    let got = await deliver(await fresh(top), address, { body: topUp, sender: top.sender, value: BigInt(top.value) });
    assert.equal(got.exitCode, 0);
    assert.equal(got.actionOk, true);

    // charge signed for addr_none instead of this contract: 1015
    const key = keyPairFromSeed(Buffer.from([...Array(32).keys()]));
    const payload = beginCell().storeUint(0xbb63ff93, 32).storeUint(5, 64).storeUint(5000, 64)
        .storeAddress(null).endCell();
    const charge = beginCell().storeUint(0xbb63ff93, 32).storeUint(5, 64).storeAddress(excess)
        .storeBuffer(sign(payload.hash(), key.secretKey)).storeRef(payload).endCell();
    const c = v.cases.find((x) => x.name === 'charge');
    got = await deliver(await fresh(c), address, { body: charge, sender: c.sender, value: BigInt(c.value) });
    assert.equal(got.exitCode, 1015);

    // register with addr_none as excess address: computed, then the action phase fails (34);
    // the transaction aborts and nothing is sent, not even a bounce
    const register = beginCell().storeUint(0xc45f9f3b, 32).storeUint(3, 64).storeUint(9, 64)
        .storeAddress(null).endCell();
    got = await deliver(await fresh(reg), address, { body: register, sender: reg.sender, value: BigInt(reg.value) });
    assert.equal(got.exitCode, 0);
    assert.equal(got.actionOk, false);
    assert.equal(got.actionResult, 34);
    assert.equal(got.aborted, true);
    assert.equal(got.out.length, 0);
    assert.equal(got.data.hash().toString('hex'), cell(reg.data).hash().toString('hex'));
});
