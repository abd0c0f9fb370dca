// `npm run bench`: the adapter against bare Express and its peers, interleaved in rounds, as one table.
'use strict';
const os = require('os');
const { parseArgs: parseCommandLine } = require('util');
const { fire, measure } = require('./load');
const { Server, coldStart, missing } = require('./server');
const { VARIANTS } = require('./variants');
const { report } = require('./report');
const { instructionTable } = require('./instructions');
const { websocketEcho } = require('./websocket');
const { sampleStarts } = require('./samples');

const USAGE = `usage: npm run bench [-- --quick] [--rounds N] [--duration S] [--variants a,b] [--skip cold,heap,invoke,websocket,samples] [--instructions]`;

function parseArgs(argv) {
  let values;
  try {
    ({ values } = parseCommandLine({
      args: argv,
      options: {
        quick: { type: 'boolean', default: false },
        instructions: { type: 'boolean', default: false },
        rounds: { type: 'string' },
        duration: { type: 'string' },
        variants: { type: 'string' },
        skip: { type: 'string', default: '' },
      },
    }));
  } catch (error) {
    throw new Error(`${error.message}\n${USAGE}`, { cause: error });
  }
  const { quick } = values;
  const number = (name, fallback) => {
    if (values[name] === undefined) return fallback;
    const value = Number(values[name]);
    if (!(value > 0)) throw new Error(`--${name} takes a positive number, not ${values[name]}\n${USAGE}`);
    return value;
  };
  const options = {
    quick,
    rounds: number('rounds', quick ? 1 : 5),
    duration: number('duration', quick ? 0.5 : 0.75), // seconds per measured window
    warmup: 0.25, // seconds of the same load before each window
    cold: quick ? 5 : 20,
    heap: quick ? [10_000, 40_000] : [50_000, 200_000],
    // Bare Express always runs: every ratio is against it.
    variants:
      values.variants === undefined ? Object.keys(VARIANTS) : ['bare', ...values.variants.split(',').filter((name) => name !== 'bare')],
    skip: values.skip.split(',').filter(Boolean),
    instructions: values.instructions,
  };
  for (const name of options.variants)
    if (!VARIANTS[name]) throw new Error(`unknown variant ${name}; known: ${Object.keys(VARIANTS).join(', ')}`);
  return options;
}

const log = (...args) => process.stderr.write(args.join(' ') + '\n');

/** Starts the servers it can; a variant that cannot start is reported, not fatal. */
async function startAll(names, startOptions) {
  const servers = new Map();
  const skipped = new Map();
  for (const name of names) {
    const variant = VARIANTS[name];
    const why = missing(variant);
    if (why !== undefined) {
      skipped.set(name, why);
      continue;
    }
    const server = new Server(name, variant);
    try {
      await server.start(startOptions);
      servers.set(name, server);
    } catch (error) {
      skipped.set(name, error.message.split('\n')[0]);
    }
  }
  return { servers, skipped };
}

const CELLS = [
  { workload: 'trivial', connections: 10 },
  { workload: 'trivial', connections: 100 },
  { workload: 'realistic', connections: 10 },
  { workload: 'realistic', connections: 100 },
];
// Events go to bare Express's POST /invoke route and to the adapter's /invoke control path.
const INVOKE_CELLS = [{ workload: 'invoke', connections: 10, only: ['bare', 'adapter'] }];

/** Rotates the order each round, so no variant always runs right after the same neighbour. */
function rotated(list, round) {
  const shift = round % list.length;
  return [...list.slice(shift), ...list.slice(0, shift)];
}

const RATIO_KEYS = ['cpuPerRequest', 'rps', 'p99'];
// A burst of load from elsewhere that starts or ends within a triple shows as the bare windows on
// either side disagreeing: such a triple is measured again, up to MAX_RETRIES times.
const BARE_MOVED = 0.1;
const MAX_RETRIES = 3;

async function window(server, cell, options) {
  const load = { connections: cell.connections };
  await fire(server.port, cell.workload, { ...load, duration: options.warmup });
  const result = await measure(server, cell.workload, { ...load, duration: options.duration });
  if (result.failed > 0) log(`  ${server.name} ${cell.workload}/${cell.connections}: ${result.failed} failed requests`);
  log(
    `  ${cell.workload.padEnd(9)} c=${String(cell.connections).padEnd(3)} ${server.name.padEnd(12)} ${result.cpuPerRequest.toFixed(1).padStart(6)} µs/req ${Math.round(result.rps).toString().padStart(6)} req/s p99 ${result.p99.toFixed(2)} ms`,
  );
  return result;
}

/**
 * Each round runs bare Express between every two other variants — bare, A, bare, B, bare, … — and
 * divides each variant by the mean of the bare windows just before and after it: the machine's
 * drift and bursts of load from elsewhere fall on both sides of the ratio. Where those two bare
 * windows differ in CPU per request by more than BARE_MOVED, the variant and the bare window after
 * it are measured again; `retries` counts how often.
 */
async function throughputRounds(options, servers) {
  const retries = { count: 0, gaveUp: 0, moved: BARE_MOVED, max: MAX_RETRIES };
  const cells = [...CELLS, ...(options.skip.includes('invoke') ? [] : INVOKE_CELLS)];
  for (const cell of cells) cell.results = new Map(); // variant → its windows, each with `vsBare` ratios
  // JIT warm-up of every route in every server before anything counts.
  for (const [name, server] of servers) {
    for (const workload of ['trivial', 'realistic', 'invoke']) {
      if (workload === 'invoke' && !INVOKE_CELLS[0].only.includes(name)) continue;
      await fire(server.port, workload, { connections: 10, duration: options.quick ? 0.5 : 1 });
    }
  }
  const bare = servers.get('bare');
  for (let round = 0; round < options.rounds; round++) {
    log(`round ${round + 1}/${options.rounds}`);
    for (const cell of cells) {
      const names = [...servers.keys()].filter((name) => name !== 'bare' && (!cell.only || cell.only.includes(name)));
      const push = (name, result) => {
        if (!cell.results.has(name)) cell.results.set(name, []);
        cell.results.get(name).push(result);
      };
      let before = await window(bare, cell, options);
      push('bare', before);
      for (const name of rotated(names, round)) {
        let result;
        let after;
        for (let attempt = 0; ; attempt++) {
          result = await window(servers.get(name), cell, options);
          after = await window(bare, cell, options);
          push('bare', after);
          const moved = Math.abs(after.cpuPerRequest / before.cpuPerRequest - 1);
          if (moved <= BARE_MOVED) break;
          if (attempt === MAX_RETRIES) {
            retries.gaveUp++;
            break;
          }
          retries.count++;
          log(`  bare moved ${(moved * 100).toFixed(0)} % around ${name}: measuring it again`);
          before = after;
        }
        result.vsBare = {};
        for (const key of RATIO_KEYS) result.vsBare[key] = result[key] / ((before[key] + after[key]) / 2);
        push(name, result);
        before = after;
      }
    }
  }
  return { cells, retries };
}

async function coldStarts(options, names) {
  const results = new Map(names.map((name) => [name, []]));
  const skipped = new Map();
  for (let i = 0; i < options.cold; i++) {
    for (const name of rotated(names, i)) {
      if (skipped.has(name)) continue;
      const why = missing(VARIANTS[name]);
      if (why !== undefined) {
        skipped.set(name, why);
        continue;
      }
      try {
        results.get(name).push(await coldStart(VARIANTS[name]));
      } catch (error) {
        skipped.set(name, error.message.split('\n')[0]);
      }
    }
  }
  for (const name of skipped.keys()) results.delete(name);
  return { results, skipped };
}

/** Heap after N and M requests, each read after forced GCs, in a fresh server per variant. */
async function heaps(options, names) {
  const [first, second] = options.heap;
  const results = new Map();
  const { servers, skipped } = await startAll(names, { exposeGc: true });
  try {
    for (const [name, server] of servers) {
      const load = { connections: 100 };
      await fire(server.port, 'realistic', { ...load, amount: first });
      const atFirst = await server.heapUsed();
      await fire(server.port, 'realistic', { ...load, amount: second - first });
      const atSecond = await server.heapUsed();
      results.set(name, [atFirst, atSecond]);
      log(`  heap ${name}: ${(atFirst / 2 ** 20).toFixed(2)} MB → ${(atSecond / 2 ** 20).toFixed(2)} MB`);
    }
  } finally {
    for (const server of servers.values()) server.stop();
  }
  return { results, skipped };
}

function machine() {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GB, ${os.type()} ${os.release()}, Node ${process.version}`;
}

async function main(options) {
  const started = Date.now();
  if (options.instructions) {
    // The A/A row means nothing here: two runs of the same variant count the same instructions.
    const variants = options.variants.filter((name) => name !== 'bare-again' && !missing(VARIANTS[name]));
    log(`express-fc-runtime bench: instructions per request under valgrind (${variants.join(', ')})`);
    const table = await instructionTable({
      variants,
      warm: options.quick ? 300 : 1000,
      measured: options.quick ? 300 : 1000,
      repeat: options.quick ? 1 : 3,
      log,
    });
    process.stdout.write(
      `\n## express-fc-runtime bench, ${new Date().toISOString().slice(0, 10)}\n\n${machine()}; ${((Date.now() - started) / 60_000).toFixed(1)} min.\n${table}`,
    );
    return;
  }
  log(`express-fc-runtime bench: ${options.rounds} rounds of ${options.duration} s windows${options.quick ? ' (quick)' : ''}`);
  const { servers, skipped } = await startAll(options.variants);
  for (const [name, why] of skipped) log(`  ${name}: skipped (${why})`);
  let cells;
  let retries;
  try {
    ({ cells, retries } = await throughputRounds(options, servers));
  } finally {
    for (const server of servers.values()) server.stop();
  }
  const coldNames = options.variants.filter((name) => ['bare', 'adapter', 'register', 'peer'].includes(name));
  const cold = options.skip.includes('cold') ? undefined : (log('cold start'), await coldStarts(options, coldNames));
  // Heap: the variants the ± 5 % target is for (bare Express is a baseline for ratios, not for leaks).
  const heapNames = coldNames.filter((name) => name !== 'bare' && name !== 'peer');
  const heap = options.skip.includes('heap') ? undefined : (log('heap'), await heaps(options, heapNames));
  const websocket = options.skip.includes('websocket')
    ? ''
    : (log('websocket echo'), await websocketEcho({ rounds: options.rounds, duration: options.duration * 2, warmup: options.warmup, log }));
  const samples = options.skip.includes('samples') ? '' : (log('samples'), await sampleStarts({ runs: options.quick ? 3 : 10, log }));
  process.stdout.write(
    report({
      date: new Date().toISOString().slice(0, 10),
      machine: machine(),
      options,
      minutes: (Date.now() - started) / 60_000,
      skipped,
      cells,
      retries,
      cold,
      heap,
    }) +
      websocket +
      samples,
  );
}

let options;
try {
  options = parseArgs(process.argv.slice(2));
} catch (error) {
  log(error.message);
  process.exit(2);
}
main(options).catch((error) => {
  log(error.stack ?? String(error));
  process.exitCode = 1;
});
