// The gas table: what each handler of our compiled contracts uses in a real TVM, for the embedded
// chain's fees (cocoon/ton/embedded/gas.json, loaded by cocoon.ton.embedded.fees). Measured by
// replaying every vector (tests/vectors/*.json) plus a few messages every contract gets (an empty
// body, a bounce, do-not-process, an unknown op) on each contract's first vector state.
//
// Per (contract, handler) the figure is the most gas any successful vector of that handler used
// (a handler's gas varies with its branch and the dictionaries it touches); the "unknown" entry is
// the gas of an op the contract rejects. A compute that fails pays its gas on TON too, and a check
// that fails early uses less: `failed` holds, per handler and exit code, the most gas a vector
// failing with that code used, and the chain charges that figure to a compute failing so.
//
// `node --test tests/` checks the committed table equals what is measured and fails on any drift;
// `COCOON_WRITE_GAS=1 node --test tests/` rewrites it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Blockchain, internal } from '@ton/sandbox';
import { Address, beginCell, Cell, external } from '@ton/core';
import { chainWith } from './vector_runner.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const CONTRACTS = join(HERE, '..');
export const TABLE = join(CONTRACTS, '..', 'cocoon', 'ton', 'embedded', 'gas.json');
// What each vector left in the sandbox (the contract's balance, the values it sent, the fees it
// paid), for comparing the embedded chain's balances with a real TVM's
// (tests/contracts/test_vector_balances.py); written and checked with the table.
const BALANCES = join(HERE, 'sandbox_balances.json');
const KINDS = ['root', 'proxy', 'client', 'worker', 'wallet'];
const DO_NOT_PROCESS = 0x9a1247c0;
const EXCESSES = 0x2565934c;
const PAYOUT = 0xc59a7cd3;
const UNKNOWN = 0x7fffffee; // an op no contract has
const TON = 1_000_000_000n;

const code = (kind) => Cell.fromBoc(readFileSync(join(CONTRACTS, 'build', `${kind}.boc`)))[0];
const vectors = (kind) => JSON.parse(readFileSync(join(HERE, 'vectors', `${kind}.json`), 'utf8'));
const b64 = (s) => Cell.fromBoc(Buffer.from(s, 'base64'))[0];
const hex = (s) => Cell.fromBoc(Buffer.from(s, 'hex'))[0];

// The handler key the embedded chain looks up (fees.py): the body's first 32 bits as 0x%08x,
// "empty" for a shorter body, "external" for an external message.
function handler(body, isExternal) {
    if (isExternal) return 'external';
    const s = body.beginParse();
    if (s.remainingBits < 32) return 'empty';
    return '0x' + s.loadUint(32).toString(16).padStart(8, '0');
}

class Measured {
    constructor() {
        this.ok = Object.fromEntries(KINDS.map((k) => [k, {}]));
        this.failed = Object.fromEntries(KINDS.map((k) => [k, {}]));
        this.balances = Object.fromEntries(KINDS.map((k) => [k, []]));
    }
    outcome(kind, name, tx) {
        const d = tx.description;
        this.balances[kind].push({
            name,
            exit_code: d.computePhase.type === 'vm' ? d.computePhase.exitCode : null,
            gas: d.computePhase.type === 'vm' ? Number(d.computePhase.gasUsed) : 0,
            aborted: d.aborted,
            fees: tx.totalFees.coins.toString(),
            balance: tx.balanceAfter.toString(),
            out: [...tx.outMessages.values()].map((m) => m.info.value.coins.toString()),
        });
    }
    note(kind, key, tx) {
        const d = tx.description;
        const c = d.computePhase;
        assert.equal(c.type, 'vm', `${kind} ${key}: compute phase skipped`);
        const success = c.exitCode === 0 && (d.actionPhase?.success ?? true);
        const gas = Number(c.gasUsed);
        if (success) {
            this.ok[kind][key] = Math.max(this.ok[kind][key] ?? 0, gas);
        } else if (c.exitCode !== 0) {
            // a failed compute, by the exit code of the check that failed (an action phase
            // failure ran the whole handler: its compute is a success's)
            const byExit = (this.failed[kind][key] ??= {});
            byExit[c.exitCode] = Math.max(byExit[c.exitCode] ?? 0, gas);
        }
        return success;
    }
}

// A fresh emulator holding the contract (its storage use set, as the emulator needs for mode 128).
const fresh = (kind, address, data, balance, now) => chainWith(code(kind), address, data, balance, now);

// Runs `msg` and all it causes; returns the transaction on `to`, with the balance `to` held
// right after it (before any bounce of what it sent comes back).
async function run(bc, msg, to) {
    let first;
    for await (const tx of await bc.sendMessageIter(msg)) {
        if (first === undefined && tx.inMessage?.info.dest?.equals?.(to)) {
            first = tx;
            first.balanceAfter = (await bc.getContract(to)).balance;
        }
    }
    return first;
}

async function sendInternal(bc, { from, to, value, body, bounced = false }) {
    const msg = internal({ from, to, value, body, bounce: !bounced, bounced });
    if (bounced) msg.info.bounced = true;
    return run(bc, msg, to);
}

// The state each contract is measured on for the messages every contract gets, and a sender
// that passes its owner checks (that of its first successful internal vector).
const bases = {};

async function measureScenarios(m, kind) {
    for (const scenario of vectors(kind)) {
        const me = Address.parse(scenario.address);
        const bc = await fresh(kind, me, b64(scenario.data), BigInt(scenario.balance), scenario.steps[0].now);
        for (const step of scenario.steps) {
            bc.now = step.now;
            const body = b64(step.body);
            const tx = await sendInternal(bc, { from: Address.parse(step.from), to: me, value: BigInt(step.value), body, bounced: step.bounced });
            const ok = m.note(kind, step.bounced ? '0xffffffff' : handler(body, false), tx);
            m.outcome(kind, `${scenario.name} / ${step.what}`, tx);
            bases[kind] ??= { address: me, data: b64(scenario.data), balance: BigInt(scenario.balance), now: scenario.steps[0].now };
            if (ok && !step.bounced) bases[kind].sender ??= Address.parse(step.from);
        }
    }
}

async function measureCases(m, kind) {
    const v = vectors(kind);
    const me = Address.parse(v.address);
    for (const c of v.cases) {
        const bc = await fresh(kind, me, hex(c.data), BigInt(c.balance), c.now);
        const body = hex(c.body);
        let tx;
        if (c.sender === null) {
            try {
                tx = await run(bc, external({ to: me, body }), me);
            } catch (e) {
                if (e.exitCode === undefined) throw e;
                continue; // not accepted: no transaction, no gas paid
            }
        } else {
            tx = await sendInternal(bc, { from: Address.parse(c.sender), to: me, value: BigInt(c.value), body });
        }
        const ok = m.note(kind, handler(body, c.sender === null), tx);
        m.outcome(kind, c.name, tx);
        bases[kind] ??= { address: me, data: hex(c.data), balance: BigInt(c.balance), now: c.now };
        if (ok && c.sender !== null) bases[kind].sender ??= Address.parse(c.sender);
    }
    if (v.deploy_external) {
        // the wallet's first external: deploys it from its StateInit and sends its batch
        const bc = await Blockchain.create();
        bc.now = 1_700_000_000;
        const funder = await bc.treasury('funder');
        await funder.send({ to: me, value: BigInt(v.deploy_value), bounce: false });
        const res = await bc.sendMessage(b64orhex(v.deploy_external));
        m.note(kind, 'external', res.transactions[0]);
    }
}

const b64orhex = (s) => (/^[0-9a-f]+$/i.test(s) ? hex(s) : b64(s));

// Messages every contract gets, on its base state: an empty body, a bounce, do-not-process (and
// the wallet's other ignored notices), an op it does not have.
async function measureCommon(m, kind) {
    const base = bases[kind];
    const send = async (body, bounced = false) => {
        const bc = await fresh(kind, base.address, base.data, base.balance, base.now);
        return sendInternal(bc, { from: base.sender, to: base.address, value: TON, body, bounced });
    };
    const op = (x) => beginCell().storeUint(x, 32).storeUint(0, 64).endCell();
    assert.ok(m.note(kind, 'empty', await send(Cell.EMPTY)), `${kind}: empty body fails`);
    const bounce = beginCell().storeUint(0xffffffff, 32).storeUint(DO_NOT_PROCESS, 32).endCell();
    assert.ok(m.note(kind, '0xffffffff', await send(bounce, true)), `${kind}: bounce fails`);
    const ignored = kind === 'wallet' ? [DO_NOT_PROCESS, EXCESSES, PAYOUT] : [DO_NOT_PROCESS];
    for (const x of ignored) assert.ok(m.note(kind, handler(op(x), false), await send(op(x))), `${kind}: ${x.toString(16)} fails`);
    const unknown = await send(op(UNKNOWN));
    assert.ok(!m.note(kind, 'unknown', unknown), `${kind}: an unknown op succeeds`);
    m.ok[kind].unknown = Number(unknown.description.computePhase.gasUsed);
    delete m.failed[kind].unknown;
}

function sorted(o) {
    return Object.fromEntries(Object.keys(o).sort().map((k) => [k, typeof o[k] === 'object' ? sorted(o[k]) : o[k]]));
}

test('gas table: the committed cocoon/ton/embedded/gas.json is what our contracts use in the sandbox', async () => {
    const m = new Measured();
    for (const kind of ['root', 'proxy']) await measureScenarios(m, kind);
    for (const kind of ['client', 'worker', 'wallet']) await measureCases(m, kind);
    for (const kind of KINDS) await measureCommon(m, kind);
    const table = {
        about: 'Gas units per contract handler, measured in @ton/sandbox on our compiled contracts by contracts/tests/gas.test.mjs (COCOON_WRITE_GAS=1 node --test tests/ rewrites it). handlers: the most gas a successful vector of each handler used (key: the op as 0x%08x, "empty" for a body under 32 bits, "external", "unknown" for an op the contract rejects); the embedded chain charges it to a compute that succeeds. failed: per handler and exit code, the most gas a vector whose compute failed with that code used; the chain charges it to a compute that fails so (a failed action phase ran the whole handler: it pays the handler figure).',
        handlers: sorted(m.ok),
        failed: sorted(m.failed),
    };
    const text = JSON.stringify(table, null, 1) + '\n';
    const balances = JSON.stringify(m.balances, null, 1) + '\n';
    if (process.env.COCOON_WRITE_GAS === '1') {
        writeFileSync(TABLE, text);
        writeFileSync(BALANCES, balances);
        return;
    }
    assert.ok(readFileSync(BALANCES, 'utf8') === balances, 'what the vectors leave in the sandbox differs from contracts/tests/sandbox_balances.json (rewrite it with COCOON_WRITE_GAS=1 node --test tests/ in contracts/, and commit it)');
    const committed = JSON.parse(readFileSync(TABLE, 'utf8'));
    const drift = [];
    for (const part of ['handlers', 'failed']) {
        for (const kind of KINDS) {
            const want = committed[part]?.[kind] ?? {};
            const got = table[part][kind];
            for (const key of new Set([...Object.keys(want), ...Object.keys(got)])) {
                if (JSON.stringify(want[key]) !== JSON.stringify(got[key])) drift.push(`${part} ${kind} ${key}: committed ${JSON.stringify(want[key] ?? '-')}, measured ${JSON.stringify(got[key] ?? '-')}`);
            }
        }
    }
    assert.deepEqual(drift, [], `the gas our contracts use differs from cocoon/ton/embedded/gas.json (rewrite it with COCOON_WRITE_GAS=1 node --test tests/ in contracts/, and commit it):\n${drift.join('\n')}`);
});
