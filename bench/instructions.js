// `npm run bench -- --instructions`: instructions per request under valgrind, the measure a busy machine cannot disturb.
'use strict';
const { spawn, spawnSync } = require('child_process');
const path = require('path');
const { VARIANTS } = require('./variants');
const { median } = require('./report');

const INPROC = path.join(__dirname, 'inproc.js');

/**
 * Instructions executed by the whole process (JIT, GC and Node's own code included) for `count`
 * requests of `workload`, V8 in its deterministic mode so that two runs agree to a fraction of a
 * percent. Kernel time (the stdout writes' system calls) is not counted.
 */
function countInstructions(variant, workload, count) {
  const args = [
    '--tool=callgrind',
    '--smc-check=all-non-file', // V8 writes the code it runs
    '--callgrind-out-file=/dev/null',
    process.execPath,
    '--predictable', // no concurrent compiler or GC threads, no randomness
    ...variant.execArgv,
    '-r',
    INPROC,
    variant.script,
  ];
  const env = {
    ...process.env,
    ...variant.env,
    BENCH_INPROC: String(count),
    BENCH_WORKLOAD: workload,
    PORT: '0',
    FC_CUSTOM_LISTEN_PORT: '0',
  };
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => {
      const collected = /Collected : (\d+)/.exec(stderr);
      if (code !== 0 || !collected) return reject(new Error(`valgrind exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' ')}`));
      resolve(Number(collected[1]));
    });
  });
}

/** Runs the jobs two at a time: this machine has two cores, and the counts do not depend on load. */
async function parallel(jobs, width = 2) {
  const results = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++;
      results[index] = await jobs[index]();
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

const CELLS = [
  { workload: 'trivial', route: 'trivial' },
  { workload: 'realistic', route: 'realistic' },
  { workload: 'invoke', route: '/invoke, 1 KB event', only: ['bare', 'adapter'] },
];

// Instructions per request against bare Express 5 (issue 19), and the hand-written peer to stay below.
const TARGETS = { trivial: 1.1, realistic: 1.04 };
const PEER = 'peer';

/**
 * Per request: (instructions for warm + n requests − instructions for warm requests) / n, so that
 * start-up and warm-up cancel out; the median of `repeat` such pairs: identical code reads up to
 * 4 % apart from one pair to the next, and neither --predictable-gc-schedule nor
 * --no-incremental-marking made it steadier.
 */
async function instructionTable({ variants, warm = 1000, measured = 1000, repeat = 3, log }) {
  if (spawnSync('valgrind', ['--version']).status !== 0) return '\nInstructions per request: valgrind is not installed; skipped.\n';
  const jobs = [];
  const rows = [];
  for (const cell of CELLS) {
    for (const name of variants) {
      if (cell.only && !cell.only.includes(name)) continue;
      const row = { cell, name, warm: [], all: [] };
      rows.push(row);
      for (let i = 0; i < repeat; i++) {
        for (const [key, count] of [
          ['warm', warm],
          ['all', warm + measured],
        ]) {
          jobs.push(async () => {
            row[key][i] = await countInstructions(VARIANTS[name], cell.workload, count);
            log(`  instructions ${cell.workload} ${name} ${count} requests: ${row[key][i]}`);
          });
        }
      }
    }
  }
  await parallel(jobs);
  const perRequest = (row) => median(row.all.map((all, i) => (all - row.warm[i]) / measured));
  let out = `\nInstructions per request (valgrind, V8 --predictable, ${measured} requests after ${warm}, median of ${repeat}, in-process: no sockets, no client, system calls not counted):\n\n`;
  out += '| route | variant | instructions/req | ×bare |\n| --- | --- | --- | --- |\n';
  const ratios = new Map();
  for (const cell of CELLS) {
    const mine = rows.filter((row) => row.cell === cell);
    const bare = mine.find((row) => row.name === 'bare');
    for (const row of mine) {
      const ratio = bare ? perRequest(row) / perRequest(bare) : NaN;
      ratios.set(`${cell.workload} ${row.name}`, ratio);
      out += `| ${cell.route} | ${VARIANTS[row.name].label} | ${Math.round(perRequest(row) / 1000)} k | ${row === bare ? '1' : '×' + ratio.toFixed(2)} |\n`;
    }
  }
  out += '\nTargets:\n\n';
  for (const name of ['adapter', 'register']) {
    for (const [workload, target] of Object.entries(TARGETS)) {
      const ratio = ratios.get(`${workload} ${name}`);
      if (ratio === undefined) continue;
      const peer = ratios.get(`${workload} ${PEER}`);
      const ok = ratio <= target && (peer === undefined || ratio < peer);
      const versusPeer = peer === undefined ? '; the hand-written peer did not run' : `; the hand-written peer ×${peer.toFixed(2)}`;
      out += `- ${ok ? '✔' : '✖'} ${VARIANTS[name].label}, ${workload} route: ×${ratio.toFixed(3)} (target ≤ ×${target.toFixed(2)})${versusPeer}\n`;
    }
  }
  return out;
}

module.exports = { instructionTable, countInstructions };
