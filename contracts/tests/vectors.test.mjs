// Replays contracts/tests/vectors/*.json (built by scripts/make_vectors.py with the project's own
// Python builders, outcomes from the Python contract ports) against the compiled FunC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { code, vectors, cell, chain, place, send, exitCode, state, outMessages, addr } from './helpers.mjs';

for (const contract of ['root', 'proxy']) {
    for (const scenario of vectors(contract)) {
        test(`${contract} vectors: ${scenario.name}`, async () => {
            const bc = await chain(scenario.steps[0].now);
            const me = addr(scenario.address);
            await place(bc, me, code(contract), cell(scenario.data), BigInt(scenario.balance));
            for (const step of scenario.steps) {
                bc.now = step.now;
                const before = await state(bc, me);
                const { tx } = await send(bc, {
                    from: addr(step.from),
                    to: me,
                    value: BigInt(step.value),
                    body: cell(step.body),
                    bounced: step.bounced,
                    bounce: !step.bounced,
                });
                const where = `${scenario.name} / ${step.what}`;
                assert.equal(exitCode(tx), step.exit_code, `${where}: exit code`);
                const after = await state(bc, me);
                if (step.exit_code === 0) {
                    assert.equal(tx.description.actionPhase?.success ?? true, true, `${where}: action phase`);
                } else {
                    assert.ok(after.data.equals(before.data), `${where}: data unchanged on failure`);
                }
                assert.equal(after.data.hash().toString('hex'), step.data_hash, `${where}: data`);
                if (step.code) assert.ok(after.code.equals(cell(step.code)), `${where}: new code`);
                const out = step.exit_code === 0 ? outMessages(tx) : [];
                const bounces = step.exit_code !== 0 ? outMessages(tx) : [];
                assert.equal(out.length, step.out.length, `${where}: number of messages`);
                step.out.forEach((want, i) => {
                    const got = out[i];
                    assert.ok(got.info.dest.equals(addr(want.to)), `${where}: message ${i} destination`);
                    assert.equal(got.info.bounce, want.bounce, `${where}: message ${i} bounce flag`);
                    assert.ok(got.body.equals(cell(want.body)), `${where}: message ${i} body`);
                    if (want.value !== null) assert.equal(got.info.value.coins, BigInt(want.value), `${where}: message ${i} value`);
                });
                // A failed bounceable message goes back to its sender, and nothing else leaves.
                if (step.exit_code !== 0) {
                    assert.equal(bounces.length, 1, `${where}: one bounce`);
                    assert.ok(bounces[0].info.bounced, `${where}: bounced flag`);
                    assert.ok(bounces[0].info.dest.equals(addr(step.from)), `${where}: bounce to the sender`);
                }
            }
        });
    }
}
