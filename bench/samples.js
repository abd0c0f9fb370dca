// The samples as FC starts them: spawn to first answered request, bare against under the runtime, and the ZIP `pack` writes.
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const { root } = require('./variants');
const { freePort, waitForPort } = require('./server');
const { median } = require('./report');

const SAMPLES = path.join(root, 'samples');
const CLI = path.join(root, 'dist', 'cli', 'main.js');

/** `exec node ARGS` in the sample's bootstrap: what FC runs, with this machine's Node. */
function bootstrapArgs(dir) {
  const file = path.join(dir, 'bootstrap');
  if (!fs.existsSync(file)) return undefined;
  const exec = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .find((line) => /^exec node /.test(line));
  return exec?.slice('exec node '.length).trim().split(/\s+/);
}

/**
 * How each sample starts, under the runtime and bare. Bare is the same entry without the preload
 * (`-r express-fc-runtime/register server.js` → `server.js`); a sample whose entry is the runtime
 * (serve() in its code, or a classic handler under `start`) has no bare form.
 */
function sampleCommands() {
  const out = [];
  for (const name of fs.readdirSync(SAMPLES).sort()) {
    const dir = path.join(SAMPLES, name);
    if (!fs.existsSync(path.join(dir, 'package.json'))) continue;
    const args = bootstrapArgs(dir) ?? ['server.js'];
    const preload = args[0] === '-r' && args[1] === 'express-fc-runtime/register';
    out.push({ name, dir, runtime: args, bare: preload ? args.slice(2) : undefined });
  }
  return out;
}

/** The status line of `GET /` once the port accepts connections: the first request the site answered. */
async function firstAnswer(port, child) {
  await waitForPort(port, { child });
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        res.resume();
        resolve(`HTTP/${res.httpVersion} ${res.statusCode} ${res.statusMessage}`);
      })
      .once('error', reject);
  });
}

/** Milliseconds from spawning `node ARGS` in the sample's folder to its first answered request. */
async function startOnce(sample, args) {
  const port = await freePort();
  // FC's port for the runtime, PORT for the bare site: each listens where it would.
  const env = { ...process.env, FC_CUSTOM_LISTEN_PORT: String(port), PORT: String(port), NODE_ENV: 'production' };
  if (args !== sample.bare) env.PORT = String(await freePort());
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { cwd: sample.dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-500)));
  try {
    const status = await firstAnswer(port, child);
    return { ms: Number(process.hrtime.bigint() - started) / 1e6, status };
  } catch (error) {
    throw new Error(`${sample.name} (node ${args.join(' ')}): ${error.message}${stderr ? `: ${stderr.trim().split('\n').pop()}` : ''}`, {
      cause: error,
    });
  } finally {
    const exited = new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
    child.kill('SIGKILL');
    await exited;
  }
}

/** The ZIP `fc-runtime pack` writes for the sample: bytes, and the files in it as pack counts them. */
function packSize(sample) {
  const zip = path.join(os.tmpdir(), `bench-pack-${process.pid}-${sample.name}.zip`);
  const run = spawnSync(process.execPath, [CLI, 'pack', sample.dir, '-o', zip], { encoding: 'utf8' });
  try {
    if (run.status !== 0) return { error: (run.stderr || run.stdout).trim().split('\n')[0] };
    return { bytes: fs.statSync(zip).size, summary: /\): (\d+ files, [\d.]+ \w?B unpacked)/.exec(run.stdout)?.[1] };
  } finally {
    fs.rmSync(zip, { force: true });
  }
}

/** Each sample `runs` times bare and under the runtime, alternating; a Markdown table. */
async function sampleStarts({ runs, log }) {
  const rows = [];
  for (const sample of sampleCommands()) {
    const times = { bare: [], runtime: [] };
    let status;
    try {
      for (let i = 0; i < runs; i++) {
        for (const form of i % 2 ? ['runtime', 'bare'] : ['bare', 'runtime']) {
          if (form === 'bare' && sample.bare === undefined) continue;
          const result = await startOnce(sample, sample[form]);
          times[form].push(result.ms);
          if (form === 'runtime') status = result.status;
        }
      }
    } catch (error) {
      log(`  ${error.message}`);
      rows.push({ sample, error: error.message.split('\n')[0] });
      continue;
    }
    const pack = packSize(sample);
    const row = { sample, bare: times.bare.length ? median(times.bare) : undefined, runtime: median(times.runtime), status, pack };
    log(
      `  ${sample.name}: bare ${row.bare?.toFixed(0) ?? '–'} ms, runtime ${row.runtime.toFixed(0)} ms (${status}), ZIP ${pack.bytes ? (pack.bytes / 2 ** 20).toFixed(2) + ' MB' : pack.error}`,
    );
    rows.push(row);
  }
  let out = `\nThe samples, from spawning \`node\` as the bootstrap does to the first answered \`GET /\` (median of ${runs}, bare and runtime alternating), and the ZIP \`fc-runtime pack\` writes for each:\n\n`;
  out += '| sample | under the runtime | ms | bare | ms | difference | ZIP |\n| --- | --- | --- | --- | --- | --- | --- |\n';
  for (const row of rows) {
    const { sample } = row;
    if (row.error) {
      out += `| ${sample.name} | failed: ${row.error} | | | | | |\n`;
      continue;
    }
    const bare = sample.bare === undefined ? '(none: the entry is the runtime)' : `\`node ${sample.bare.join(' ')}\``;
    const difference = row.bare === undefined ? '' : `${row.runtime >= row.bare ? '+' : ''}${(row.runtime - row.bare).toFixed(1)} ms`;
    const zip = row.pack.bytes === undefined ? row.pack.error : `${(row.pack.bytes / 2 ** 20).toFixed(2)} MB (${row.pack.summary ?? '?'})`;
    out += `| ${sample.name} | \`node ${sample.runtime.join(' ')}\` | ${row.runtime.toFixed(1)} | ${bare} | ${row.bare?.toFixed(1) ?? ''} | ${difference} | ${zip} |\n`;
  }
  return out;
}

module.exports = { sampleStarts };
