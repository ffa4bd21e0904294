import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Address } from '@ton/core';
import { runVectors, printGas, loadCode, loadVectors, cell, chainWith, deliver } from './vector_runner.mjs';

test('client: Python-built messages do in FunC what the port does', async (t) => {
    printGas('client', await runVectors(t, 'client'));
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
