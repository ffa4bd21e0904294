// Shared by the sandbox tests: the compiled code, a fresh emulator, and small checks.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Blockchain, createShardAccount, internal } from '@ton/sandbox';
import { Address, Cell } from '@ton/core';

const HERE = dirname(fileURLToPath(import.meta.url));
export const BUILD = join(HERE, '..', 'build');

export function code(name) {
    return Cell.fromBoc(readFileSync(join(BUILD, `${name}.boc`)))[0];
}

export function vectors(name) {
    return JSON.parse(readFileSync(join(HERE, 'vectors', `${name}.json`), 'utf8'));
}

export function cell(b64) {
    return Cell.fromBoc(Buffer.from(b64, 'base64'))[0];
}

export async function chain(now) {
    const bc = await Blockchain.create();
    bc.now = now;
    return bc;
}

// Puts a contract with this code, data and balance at `address` (no deploy transaction).
export async function place(bc, address, codeCell, data, balance) {
    await bc.setShardAccount(address, createShardAccount({ address, code: codeCell, data, balance }));
}

// Sends one internal message and returns the transaction it caused on `to`.
export async function send(bc, { from, to, value, body, bounce = true, bounced = false }) {
    const result = await bc.sendMessage(internal({ from, to, value, body, bounce, bounced }));
    const tx = result.transactions.find((t) => t.inMessage?.info.dest?.equals?.(to));
    return { tx, result };
}

export function compute(tx) {
    return tx.description.computePhase;
}

export function exitCode(tx) {
    const phase = compute(tx);
    return phase.type === 'vm' ? phase.exitCode : `skipped (${phase.reason})`;
}

export async function state(bc, address) {
    const contract = await bc.getContract(address);
    const s = contract.accountState;
    if (s?.type !== 'active') throw new Error(`${address} is not active`);
    return { code: s.state.code, data: s.state.data, balance: contract.balance };
}

export function outMessages(tx) {
    return tx.outMessages.values();
}

export const addr = (s) => Address.parse(s);
