// Root contract in the sandbox: get-methods, 32-bit counters, change of owner to addr_none,
// empty bodies. Every opcode and error code is replayed in vectors.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { beginCell, Address } from '@ton/core';
import { code, vectors, cell, chain, place, send, exitCode, state, outMessages, addr } from './helpers.mjs';

const [OPS] = vectors('root');
const ME = addr(OPS.address);
const OWNER = addr(OPS.steps[0].from);
const START = cell(OPS.data);
const NOW = OPS.steps[0].now;
const TON = 1_000_000_000n;
const MAX32 = 0xffffffff;
const OP_ADD_WORKER_TYPE = 0xe34b1c60;
const OP_REGISTER_PROXY = 0x927c7cb5;
const OP_CHANGE_PRICE = 0xc52ed8d4;
const OP_CHANGE_OWNER = 0xc4a1ae54;

const standIn = (name) => beginCell().storeBuffer(Buffer.from(name)).endCell();

async function root(data = START) {
    const bc = await chain(NOW);
    await place(bc, ME, code('root'), data, TON);
    return bc;
}

// The start data with some fields replaced (layout: spec 30 section 3.1/3.2).
function rootData({ version, paramsVersion, lastProxySeqno } = {}) {
    const s = START.beginParse();
    const owner = s.loadAddress();
    const v = s.loadUint(32);
    let d = s.loadRef();
    let p = s.loadRef();
    if (paramsVersion !== undefined) {
        const ps = p.beginParse();
        const sv = ps.loadUint(8);
        ps.loadUint(32);
        p = beginCell().storeUint(sv, 8).storeUint(paramsVersion, 32).storeSlice(ps).endCell();
    }
    if (lastProxySeqno !== undefined) {
        const ds = d.beginParse();
        const proxyHashes = ds.loadMaybeRef();
        const proxies = ds.loadMaybeRef();
        ds.loadUint(32);
        d = beginCell().storeMaybeRef(proxyHashes).storeMaybeRef(proxies).storeUint(lastProxySeqno, 32).storeSlice(ds).endCell();
    }
    return beginCell().storeAddress(owner).storeUint(version ?? v, 32).storeRef(d).storeRef(p).endCell();
}

const body = (op, qid) => beginCell().storeUint(op, 32).storeUint(qid, 64);

test('root get-methods read the data our Python builders write', async () => {
    const bc = await root();
    const data = await bc.runGetMethod(ME, 'get_cocoon_data');
    const r = data.stackReader;
    assert.deepEqual(
        [r.readNumber(), r.readNumber(), r.readNumber(), r.readNumber(), r.readNumber()],
        [5, 3, 7, 42, 1], // version, last_proxy_seqno, params_version, unique_id, is_test
    );
    assert.deepEqual([r.readBigNumber(), r.readBigNumber(), r.readBigNumber(), r.readBigNumber()], [20n, 15n, TON, TON]);
    assert.ok(r.readAddress().equals(OWNER));
    assert.equal((await bc.runGetMethod(ME, 'last_proxy_seqno')).stackReader.readNumber(), 3);

    const p = (await bc.runGetMethod(ME, 'get_cur_params')).stackReader;
    const got = Array.from({ length: 11 }, () => p.readBigNumber());
    assert.deepEqual(got, [7n, 42n, 1n, 20n, 15n, 10000n, 10000n, 3600n, 7200n, TON, TON]);
    for (const name of ['proxy', 'worker', 'client']) {
        assert.equal(p.readBigNumber(), BigInt('0x' + standIn(name).hash().toString('hex')), `${name} code hash`);
    }

    const h = 0x1111111111111111111111111111111111111111111111111111111111111111n;
    assert.equal((await bc.runGetMethod(ME, 'worker_hash_is_valid', [{ type: 'int', value: h }])).stackReader.readNumber(), 0);
    await send(bc, { from: OWNER, to: ME, value: TON / 2n, body: body(OP_ADD_WORKER_TYPE, 1).storeUint(h, 256).endCell() });
    assert.equal((await bc.runGetMethod(ME, 'worker_hash_is_valid', [{ type: 'int', value: h }])).stackReader.readNumber(), -1);
    assert.equal((await bc.runGetMethod(ME, 'model_hash_is_valid', [{ type: 'int', value: h }])).stackReader.readNumber(), 0);
    assert.equal((await bc.runGetMethod(ME, 'proxy_hash_is_valid', [{ type: 'int', value: h }])).stackReader.readNumber(), 0);
});

test('root 32-bit counters at 2^32 - 1 fail with exit 5 (issue 14 finding 3)', async () => {
    const netAddr = (b) => b.storeUint(0, 1).storeUint(3, 7).storeBuffer(Buffer.from('a:1'));
    const cases = [
        ['version', rootData({ version: MAX32 }), body(OP_ADD_WORKER_TYPE, 1).storeUint(5, 256)],
        ['params_version', rootData({ paramsVersion: MAX32 }), body(OP_CHANGE_PRICE, 2).storeCoins(1).storeCoins(1)],
        ['last_proxy_seqno', rootData({ lastProxySeqno: MAX32 }), netAddr(body(OP_REGISTER_PROXY, 3))],
    ];
    for (const [what, data, msg] of cases) {
        const bc = await root(data);
        const { tx } = await send(bc, { from: OWNER, to: ME, value: TON / 2n, body: msg.endCell() });
        assert.equal(exitCode(tx), 5, what);
        assert.ok((await state(bc, ME)).data.equals(data), `${what}: data unchanged`);
    }
});

test('root change_owner to addr_none is accepted and locks the root (issue 14 finding 4)', async () => {
    const bc = await root();
    const none = body(OP_CHANGE_OWNER, 1).storeUint(0, 2).endCell();
    const { tx } = await send(bc, { from: OWNER, to: ME, value: TON / 2n, body: none });
    assert.equal(exitCode(tx), 0);
    const r = (await bc.runGetMethod(ME, 'get_cocoon_data')).stackReader;
    assert.equal(r.readNumber(), 6); // version + 1
    for (let i = 0; i < 8; i++) r.pop();
    assert.equal(r.readAddressOpt(), null);
    const after = await send(bc, { from: OWNER, to: ME, value: TON / 2n, body: body(OP_ADD_WORKER_TYPE, 2).storeUint(5, 256).endCell() });
    assert.equal(exitCode(after.tx), 1010);

    const extern = await root();
    const ext = body(OP_CHANGE_OWNER, 3).storeUint(1, 2).storeUint(8, 9).storeUint(0xab, 8).endCell();
    assert.equal(exitCode((await send(extern, { from: OWNER, to: ME, value: TON / 2n, body: ext })).tx), 0);
});

test('root keeps the value of an empty message and sends nothing', async () => {
    const bc = await root();
    const { tx } = await send(bc, { from: Address.parse(OPS.steps[17].from), to: ME, value: TON, body: beginCell().endCell() });
    assert.equal(exitCode(tx), 0);
    assert.equal(outMessages(tx).length, 0);
    assert.ok((await state(bc, ME)).balance > TON + TON / 2n);
});
