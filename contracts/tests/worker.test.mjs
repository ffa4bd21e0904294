import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Address } from '@ton/core';
import { runVectors, loadCode, loadVectors, cell, chainWith, deliver } from './vector_runner.mjs';

test('worker: Python-built messages do in FunC what the port does', async (t) => {
    await runVectors(t, 'worker');
});

test('worker: payout split and get_cocoon_worker_data', async () => {
    const v = loadVectors('worker');
    const address = Address.parse(v.address);
    const c = v.cases.find((x) => x.name === 'payout');
    const chain = await chainWith(loadCode('worker'), address, cell(c.data), BigInt(c.balance), c.now);
    const got = await deliver(chain, address, { body: cell(c.body), sender: c.sender, value: BigInt(c.value) });
    assert.equal(got.exitCode, 0);
    // 4000 new tokens at price 40, worker fee 30: 120000 to the worker, 40000 kept by the proxy
    const notice = got.out[0].body.beginParse();
    assert.equal(notice.loadUint(32), 0x4d725d2c);
    notice.loadUintBig(64);
    notice.loadAddress();
    assert.equal(notice.loadUint(2), 0);
    assert.equal(notice.loadUintBig(64), 5000n);
    const payout = notice.loadMaybeRef().beginParse();
    assert.equal(payout.loadUint(32), 0x08e7d036);
    assert.equal(payout.loadCoins(), 4000n * 30n);
    assert.equal(payout.loadCoins(), 4000n * 10n);
    // value 0 mode 128 after reserving what the worker held before: the message value less gas
    // goes on (the sandbox then bounces it back from the missing proxy; the worker ignores it)
    assert.ok(got.out[0].value > 190_000_000n && got.out[0].value < 200_000_000n, `${got.out[0].value}`);
    const r = await chain.runGetMethod(address, 'get_cocoon_worker_data');
    const s = r.stackReader;
    s.readAddress();
    s.readAddress();
    s.readBigNumber();
    assert.equal(s.readNumber(), 0);
    assert.equal(s.readBigNumber(), 5000n);
});

test('worker: bounced messages and empty bodies are ignored', async () => {
    const v = loadVectors('worker');
    const address = Address.parse(v.address);
    const c = v.cases.find((x) => x.name === 'payout');
    for (const bounced of [true, false]) {
        const chain = await chainWith(loadCode('worker'), address, cell(c.data), BigInt(c.balance), c.now);
        const body = bounced ? cell(c.body) : cell('b5ee9c72010101010002000000');
        const got = await deliver(chain, address, { body, sender: c.sender, value: BigInt(c.value), bounced });
        assert.equal(got.exitCode, 0);
        assert.equal(got.out.length, 0);
        assert.equal(got.data.hash().toString('hex'), cell(c.data).hash().toString('hex'));
    }
});
