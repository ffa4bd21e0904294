// Compiles every contract in contracts/src (each .fc file that is not a library) with the pinned
// FunC 0.4.6 and writes build/<name>.boc plus build/manifest.json (code hash and depth), and the
// same files into the Python package (cocoon/ton/compiled/), whose local networks run these codes
// and which pip installs without contracts/. `--check` compiles the same way and fails (exit 1)
// when a committed file differs, in either folder.
import { readFileSync, writeFileSync, readdirSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { latestCompiler as compiler } from '@ton-community/func-js';
import { Cell } from '@ton/core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');
const BUILD = join(ROOT, 'build');
const PACKAGE = join(ROOT, '..', 'cocoon', 'ton', 'compiled');
const OUTPUTS = [
    ['build', BUILD],
    ['cocoon/ton/compiled', PACKAGE],
];
const LIBRARIES = new Set(['stdlib.fc', 'common.fc']);
const FUNC_VERSION = '0.4.6';

export function contractNames() {
    return readdirSync(SRC)
        .filter((f) => f.endsWith('.fc') && !LIBRARIES.has(f))
        .map((f) => f.slice(0, -3))
        .sort();
}

// func-js 0.11.0 carries its own FunC 0.4.6 build (func-js-bin 0.4.6-wasmfix); main() checks the version.

export async function compile(name) {
    const result = await compiler.compileFunc({
        targets: [`${name}.fc`],
        sources: (path) => readFileSync(join(SRC, path), 'utf8'),
    });
    if (result.status !== 'ok') {
        throw new Error(`${name}.fc: ${result.message}`);
    }
    const cell = Cell.fromBoc(Buffer.from(result.codeBoc, 'base64'))[0];
    // A canonical BOC of our own (no index, crc32c), so the bytes depend on the cell only.
    const boc = cell.toBoc({ idx: false, crc32: true });
    return { cell, boc, hash: cell.hash().toString('hex'), depth: cell.depth() };
}

async function main() {
    const check = process.argv.includes('--check');
    const { funcVersion } = await compiler.compilerVersion();
    if (funcVersion !== FUNC_VERSION) {
        throw new Error(`FunC ${funcVersion}, expected ${FUNC_VERSION}`);
    }
    const manifest = { compiler: `func ${funcVersion}`, contracts: {} };
    const problems = [];
    const files = new Map();
    for (const name of contractNames()) {
        const { boc, hash, depth } = await compile(name);
        manifest.contracts[name] = { hash, depth, boc: `${name}.boc` };
        files.set(`${name}.boc`, boc);
        console.log(`${name}: ${hash} depth ${depth}`);
    }
    files.set('manifest.json', Buffer.from(JSON.stringify(manifest, null, 2) + '\n'));
    for (const [label, dir] of OUTPUTS) {
        for (const [file, bytes] of files) {
            const path = join(dir, file);
            if (check) {
                if (!existsSync(path)) problems.push(`${label}/${file} is missing (run node scripts/build.mjs)`);
                else if (!readFileSync(path).equals(bytes)) problems.push(`${label}/${file} differs from a fresh compile`);
            } else {
                mkdirSync(dir, { recursive: true });
                writeFileSync(path, bytes);
            }
        }
    }
    if (check) {
        if (problems.length) {
            console.error(problems.join('\n'));
            process.exit(1);
        }
        console.log('build check: committed BOCs equal a fresh compile (contracts/build and cocoon/ton/compiled)');
    }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
    try {
        await main();
    } catch (e) {
        // Printed here: the compiler's runtime would otherwise dump its whole source on a rejection.
        console.error(e.message);
        process.exit(1);
    }
}
