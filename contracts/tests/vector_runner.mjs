// Runs the vectors of tests/vectors/<name>.json (messages built by our Python builders, with what
// the Python port of the contract does with them) against the compiled FunC in @ton/sandbox.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Blockchain, createShardAccount, internal } from '@ton/sandbox';
import { Address, Cell, external, beginCell, storeMessage } from '@ton/core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export function loadCode(name) {
    return Cell.fromBoc(readFileSync(join(ROOT, 'build', `${name}.boc`)))[0];
}

export function loadVectors(name) {
    return JSON.parse(readFileSync(join(ROOT, 'tests', 'vectors', `${name}.json`), 'utf8'));
}

export const cell = (hex) => Cell.fromBoc(Buffer.from(hex, 'hex'))[0];

// A fresh chain holding the contract with this data and balance, at time `now`.
export async function chainWith(code, address, data, balance, now) {
    const blockchain = await Blockchain.create();
    blockchain.now = now;
    const account = createShardAccount({ address, code, data, balance });
    account.account.storageStats.lastPaid = now;  // no storage fee for the years before `now`
    // the real storage use (the emulator aborts on a mode-128 send from an account said to use none)
    account.account.storageStats.used = storageUsed(code, data);
    await blockchain.setShardAccount(address, account);
    return blockchain;
}

function storageUsed(...roots) {
    const seen = new Set();
    let bits = 0n;
    const walk = (c) => {
        const h = c.hash().toString('hex');
        if (seen.has(h)) return;
        seen.add(h);
        bits += BigInt(c.bits.length);
        c.refs.forEach(walk);
    };
    roots.forEach(walk);
    return { cells: BigInt(seen.size), bits };
}

// Sends an internal (sender given) or external message; returns what the contract did.
export async function deliver(blockchain, address, { body, sender, value, bounced = false }) {
    if (sender === null) {
        try {
            const res = await blockchain.sendMessage(external({ to: address, body }));
            return outcome(blockchain, address, res.transactions[0]);
        } catch (e) {
            if (e.exitCode === undefined) throw e;
            return { exitCode: e.exitCode, accepted: false, gas: null, out: [] };
        }
    }
    const msg = internal({ from: Address.parse(sender), to: address, value, body, bounce: true });
    if (bounced) msg.info.bounced = true;
    const res = await blockchain.sendMessage(msg);
    return outcome(blockchain, address, res.transactions[0]);
}

async function outcome(blockchain, address, tx) {
    assert.ok(tx.inMessage.info.dest.equals(address));
    const d = tx.description;
    assert.equal(d.type, 'generic');
    const compute = d.computePhase;
    const contract = await blockchain.getContract(address);
    const state = contract.accountState;
    const data = state?.type === 'active' ? state.state.data : null;
    if (compute.type !== 'vm') return { exitCode: null, skipped: compute.reason, out: [], data };
    const out = [...tx.outMessages.values()].map((m) => ({
        dest: m.info.dest.toRawString(),
        value: m.info.value.coins,
        bounce: m.info.bounce,
        body: m.body,
    }));
    return {
        exitCode: compute.exitCode,
        gas: Number(compute.gasUsed),
        actionOk: d.actionPhase ? d.actionPhase.success : null,
        actionResult: d.actionPhase ? d.actionPhase.resultCode : null,
        aborted: d.aborted,
        out,
        data,
        balance: contract.balance,
    };
}

// Sends each vector's message and checks the FunC does what the Python port does:
// exit code, new data, and each outgoing message (destination, bounce flag, body; value where
// the send mode fixes it). Gas: tests/gas.test.mjs.
export async function runVectors(t, name) {
    const code = loadCode(name);
    const v = loadVectors(name);
    const address = Address.parse(v.address);
    for (const c of v.cases) {
        await t.test(`${name} vector ${c.name}`, async () => {
            const chain = await chainWith(code, address, cell(c.data), BigInt(c.balance), c.now);
            const got = await deliver(chain, address, {
                body: cell(c.body),
                sender: c.sender,
                value: BigInt(c.value),
            });
            const want = c.expect;
            assert.equal(got.exitCode, want.exit_code, `exit code of ${c.name}`);
            if (want.exit_code !== 0) {
                if (c.sender !== null) {
                    // nothing but the bounce of the inbound value to its sender
                    assert.equal(got.out.length, 1, `bounce of ${c.name}`);
                    assert.equal(got.out[0].dest, Address.parse(c.sender).toRawString());
                    assert.equal(got.out[0].body.beginParse().loadUint(32), 0xffffffff);
                }
                return;
            }
            assert.equal(got.actionOk, true, `action phase of ${c.name}`);
            assert.equal(got.data.hash().toString('hex'), cell(want.data).hash().toString('hex'), `data after ${c.name}`);
            const sends = want.actions.filter((a) => a.reserve === undefined);
            assert.equal(got.out.length, sends.length, `messages sent by ${c.name}`);
            sends.forEach((s, i) => {
                const m = got.out[i];
                assert.equal(m.dest, s.dest, `dest of message ${i}`);
                assert.equal(m.bounce, s.bounce, `bounce flag of message ${i}`);
                if (s.body === null) assert.equal(m.body.bits.length + m.body.refs.length, 0);
                else assert.equal(m.body.hash().toString('hex'), cell(s.body).hash().toString('hex'), `body of message ${i}`);
                if ((s.mode & (64 | 128)) === 0) {
                    const fees = (s.mode & 1) ? 0n : null;  // mode 0 pays fees out of the value
                    if (fees === 0n) assert.equal(m.value, BigInt(s.value), `value of message ${i}`);
                    else assert.ok(m.value <= BigInt(s.value) && m.value > 0n, `value of message ${i}`);
                }
            });
        });
    }
}

export { beginCell, storeMessage };
