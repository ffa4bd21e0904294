import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
    Address, beginCell, contractAddress, external, internal as internalRelaxed, loadMessageRelaxed,
    loadStateInit, storeMessageRelaxed,
} from '@ton/core';
import { Blockchain } from '@ton/sandbox';
import { runVectors, loadCode, loadVectors, cell, chainWith, deliver } from './vector_runner.mjs';

const TON = 1_000_000_000n;

test('wallet: Python-built messages do in FunC what the port does', async (t) => {
    await runVectors(t, 'wallet');
});

test('wallet: a fresh wallet deploys itself from the roles\' first external and sends its batch', async () => {
    const v = loadVectors('wallet');
    const address = Address.parse(v.address);
    const init = loadStateInit(cell(v.state_init).beginParse());
    // our StateInit with our code gives the address the Python side derived
    assert.ok(contractAddress(0, init).equals(address));
    assert.equal(init.code.hash().toString('hex'), loadCode('wallet').hash().toString('hex'));
    const chain = await Blockchain.create();
    chain.now = 1_700_000_000;
    const funder = await chain.treasury('funder');
    await funder.send({ to: address, value: BigInt(v.deploy_value), bounce: false });
    const res = await chain.sendMessage(cell(v.deploy_external));
    const tx = res.transactions[0];
    assert.equal(tx.description.computePhase.exitCode, 0);
    assert.equal(tx.description.actionPhase.success, true);
    assert.equal(tx.outMessagesCount, 4);
    const values = [...tx.outMessages.values()].map((m) => m.info.value.coins);
    assert.deepEqual(values.map((x) => x <= TON), [true, true, true, true]);
    const get = async (name) => (await chain.runGetMethod(address, name)).stackReader;
    assert.equal((await get('seqno')).readNumber(), 1);
    assert.equal((await get('get_public_key')).readBigNumber(), BigInt('0x' + init.data.beginParse().skip(64).loadBuffer(32).toString('hex')));
    assert.ok((await get('get_owner_address')).readAddress().equals(Address.parse('0:' + 'b2'.repeat(32))));
    // the same external again: seqno moved, rejected before accept (1032), no gas charged
    await assert.rejects(chain.sendMessage(cell(v.deploy_external)), (e) => e.exitCode === 1032);
});

test('wallet: seqno 2^32 - 1 fails with exit 5 after accepting (gas paid, nothing sent)', async () => {
    const v = loadVectors('wallet');
    const address = Address.parse(v.address);
    const chain = await chainWith(loadCode('wallet'), address, cell(v.seqno_overflow.data), 3n * TON, 1_700_000_000);
    const res = await chain.sendMessage(external({ to: address, body: cell(v.seqno_overflow.body) }));
    const tx = res.transactions[0];
    assert.equal(tx.description.computePhase.exitCode, 5);
    assert.equal(tx.outMessagesCount, 0);
    assert.ok((await chain.getContract(address)).balance < 3n * TON);
    assert.equal((await chain.runGetMethod(address, 'seqno')).stackReader.readBigNumber(), (1n << 32n) - 1n);
});

test('wallet: bounced messages, empty bodies and payouts are ignored, coins stay', async () => {
    const v = loadVectors('wallet');
    const address = Address.parse(v.address);
    const data = cell(v.cases[0].data);
    const payout = beginCell().storeUint(0xc59a7cd3, 32).storeUint(1, 64).endCell();
    for (const [body, bounced] of [[payout, true], [beginCell().endCell(), false], [payout, false]]) {
        const chain = await chainWith(loadCode('wallet'), address, data, TON, 1_700_000_000);
        const got = await deliver(chain, address, { body, sender: '0:' + 'c3'.repeat(32), value: TON, bounced });
        assert.equal(got.exitCode, 0);
        assert.equal(got.out.length, 0);
        assert.ok(got.balance > 19n * TON / 10n);
    }
});

// The client runner's path: its CocoonWallet (the client contract's owner) sends the Python-built
// register through an external; the client contract takes it as from its owner.
test('wallet -> client: a register sent through the wallet reaches the client as its owner', async () => {
    const w = loadVectors('wallet');
    const cv = loadVectors('client');
    const wallet = Address.parse(w.address);
    const client = Address.parse(cv.address);
    const c = cv.cases.find((x) => x.name === 'register');
    assert.equal(c.sender, wallet.toRawString());
    const chain = await chainWith(loadCode('wallet'), wallet, cell(w.cases[0].data), 3n * TON, 1_700_000_000);
    const account = await chainWith(loadCode('client'), client, cell(c.data), BigInt(c.balance), c.now);
    await chain.setShardAccount(client, await account.getContract(client).then((x) => x.account));
    const res = await chain.sendMessage(external({ to: wallet, body: cell(w.cases[0].body) }));
    const onClient = res.transactions.find((tx) => tx.inMessage.info.dest.equals(client));
    assert.equal(onClient.description.computePhase.exitCode, 0);
    // the proxy notice (with the register payload) and the excesses back to the wallet
    const out = [...onClient.outMessages.values()];
    assert.equal(out.length, 2);
    const notice = out[0].body.beginParse();
    assert.equal(notice.loadUint(32), 0x65448ff4);
    notice.loadUintBig(64);
    assert.ok(notice.loadAddress().equals(wallet));
    notice.loadRef();
    const reg = notice.loadMaybeRef().beginParse();
    assert.equal(reg.loadUint(32), 0xa35cb580);
    assert.equal(reg.loadUintBig(64), 9n);
    assert.ok(out[1].info.dest.equals(wallet));
    // the wallet ignores the excesses: its seqno moved once
    assert.equal((await chain.runGetMethod(wallet, 'seqno')).stackReader.readNumber(), 1);
});

// Issue 14 finding 5: what the TVM does with the wallet's raw sends (the FunC passes the mode on).
test('wallet: raw send modes as the TVM applies them', async () => {
    const v = loadVectors('wallet');
    const address = Address.parse(v.address);
    const human = Address.parse('0:' + 'b2'.repeat(32));
    const stranger = Address.parse('0:' + 'c3'.repeat(32));
    const send = async (mode, src = null) => {
        const chain = await chainWith(loadCode('wallet'), address, cell(v.cases[0].data), 3n * TON, 1_700_000_000);
        const raw = beginCell().store(storeMessageRelaxed(internalRelaxed({ to: stranger, value: TON, bounce: false })))
            .endCell();
        const msg = src === null ? raw : beginCell().store(storeMessageRelaxed({
            ...loadMessageRelaxed(raw.beginParse()), info: { ...loadMessageRelaxed(raw.beginParse()).info, src },
        })).endCell();
        const body = beginCell().storeUint(0x9c69f376, 32).storeUint(1, 64).storeUint(mode, 8).storeRef(msg).endCell();
        return [await deliver(chain, address, { body, sender: human.toRawString(), value: TON / 10n }), chain];
    };
    let [got] = await send(1);
    assert.equal(got.actionOk, true);
    assert.equal(got.out.length, 1);
    for (const mode of [4, 8]) {
        [got] = await send(mode);
        assert.equal(got.exitCode, 0);
        assert.equal(got.actionOk, false, `mode ${mode}`);
        assert.equal(got.actionResult, 34, `mode ${mode}`);
    }
    [got] = await send(1, stranger);
    assert.equal(got.actionResult, 35);
    let chain;
    [got, chain] = await send(128 + 32);
    assert.equal(got.actionOk, true);
    const state = (await chain.getContract(address)).accountState;
    assert.ok(state === undefined || state.type !== 'active', `account after 128+32: ${state?.type}`);
});
