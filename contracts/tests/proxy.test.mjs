// Proxy contract in the sandbox: get-method, and the transaction rules TON applies around it
// (issue 14 findings 1, 2, 6). Every opcode and error code is replayed in vectors.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { beginCell } from '@ton/core';
import { code, vectors, cell, chain, place, send, exitCode, state, outMessages, addr } from './helpers.mjs';

const [LIFE] = vectors('proxy');
const ME = addr(LIFE.address);
const START = cell(LIFE.data);
const NOW = LIFE.steps[0].now;
const TON = 1_000_000_000n;
const step = (what) => LIFE.steps.find((s) => s.what === what);
const OWNER = addr(step('text w (withdraw)').from);
const CLIENT = addr(step('client top-up').from);
const STRANGER = addr(step('client notification (no payload)').from);
const OP_DO_NOT_PROCESS = 0x9a1247c0;
const OP_INCREASE_STAKE = 0x9713f187;

async function proxy(balance = 10n * TON) {
    const bc = await chain(NOW);
    await place(bc, ME, code('proxy'), START, balance);
    return bc;
}

test('proxy get_cocoon_proxy_data reads the data our Python builders write', async () => {
    const bc = await proxy();
    const r = (await bc.runGetMethod(ME, 'get_cocoon_proxy_data')).stackReader;
    assert.ok(r.readAddress().equals(OWNER));
    const publicKey = r.readBigNumber();
    assert.equal(publicKey, BigInt('0x' + START.beginParse().skip(267).loadBuffer(32).toString('hex')));
    r.readAddress(); // root
    const rest = Array.from({ length: 9 }, () => r.readBigNumber());
    // state, balance, stake, unlock_ts, price, worker fee, min proxy stake, min client stake, params_version
    assert.deepEqual(rest, [0n, 0n, 0n, 0n, 20n, 15n, TON, TON, 7n]);
});

test('a 1-nano state commit is not computed on TON: no gas (issue 14 finding 1)', async () => {
    const bc = await proxy();
    const commit = beginCell().storeUint(OP_DO_NOT_PROCESS, 32).storeUint(1, 64).storeUint(0x53109c0f, 32).endCell();
    const { tx } = await send(bc, { from: OWNER, to: ME, value: 1n, body: commit, bounce: false });
    assert.equal(exitCode(tx), 'skipped (no-gas)');
    assert.equal(tx.description.aborted, true);
    assert.ok(tx.inMessage.body.equals(commit), 'the transaction carries the inbound message');
});

test('a reserve the balance cannot cover fails the action phase: aborted, no bounce (issue 14 finding 2)', async () => {
    const bc = await proxy(TON / 100n);
    const topUp = cell(step('client top-up').body); // reserves the 1 TON it names
    const { tx } = await send(bc, { from: CLIENT, to: ME, value: TON / 10n, body: topUp });
    assert.equal(exitCode(tx), 0);
    assert.equal(tx.description.actionPhase.success, false);
    assert.equal(tx.description.actionPhase.resultCode, 37);
    assert.equal(tx.description.aborted, true);
    assert.equal(outMessages(tx).length, 0, 'no bounce without send mode +16');
    assert.ok((await state(bc, ME)).data.equals(START));
});

test('an addr_none excess address fails the action phase with 34, no bounce (issue 14 finding 6)', async () => {
    const bc = await proxy();
    const body = beginCell().storeUint(OP_INCREASE_STAKE, 32).storeUint(1, 64).storeCoins(TON).storeUint(0, 2).endCell();
    const { tx } = await send(bc, { from: STRANGER, to: ME, value: 2n * TON, body });
    assert.equal(exitCode(tx), 0);
    assert.equal(tx.description.actionPhase.resultCode, 34);
    assert.equal(outMessages(tx).length, 0);
    assert.ok((await state(bc, ME)).data.equals(START));
});

test('non-standard addresses in bodies: expected address 1015, client owner 1014 (issue 14 finding 6)', async () => {
    const { keyPairFromSeed, sign } = await import('@ton/crypto');
    const keys = keyPairFromSeed(Buffer.from([...Array(32).keys()])); // the vectors' proxy key
    const op = 0x636a4391; // ext_proxy_close_request_signed
    const payload = beginCell().storeUint(op, 32).storeUint(7, 64).storeUint(0, 2).endCell(); // addr_none
    const close = beginCell()
        .storeUint(op, 32)
        .storeUint(7, 64)
        .storeAddress(STRANGER)
        .storeBuffer(sign(payload.hash(), keys.secretKey))
        .storeRef(payload)
        .endCell();
    const bc = await proxy();
    assert.equal(exitCode((await send(bc, { from: STRANGER, to: ME, value: TON / 5n, body: close })).tx), 1015);

    // client_proxy_request with an addr_none owner: the computed client address matches no sender
    const topUp = cell(step('client top-up').body).beginParse();
    const head = beginCell().storeUint(topUp.loadUint(32), 32).storeUint(topUp.loadUintBig(64), 64);
    topUp.loadAddress();
    const body = head.storeUint(0, 2).storeSlice(topUp).endCell();
    assert.equal(exitCode((await send(bc, { from: CLIENT, to: ME, value: 2n * TON, body })).tx), 1014);
});
