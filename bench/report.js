// The bench's output: Markdown tables of medians and same-round ratios to bare Express, and the targets.
'use strict';
const { VARIANTS } = require('./variants');

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Median over rounds of the variant's value divided by bare Express's on either side of it. */
function ratio(results, name, key) {
  return median(results.get(name).map((result) => result.vsBare[key]));
}

const fixed = (digits) => (value) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const f0 = fixed(0);
const f1 = fixed(1);
const f2 = fixed(2);
/** `+3 ms`, `-12 ms`: a difference with its sign. */
const signed = (value, format) => `${value >= 0 ? '+' : ''}${format(value)}`;
const x = (value) => (Number.isFinite(value) ? '×' + value.toFixed(2) : '–');

function row(cells) {
  return `| ${cells.join(' | ')} |\n`;
}

// The peer to beat: what a team would write by hand for the same job. express-http-context and the
// other context libraries keep a request id and nothing else; they stay in the table for reference.
const PEER = 'peer';

function checks(cells, cold, heap) {
  const lines = [];
  const check = (ok, text) => lines.push(`- ${ok ? '✔' : '✖'} ${text}`);
  for (const name of ['adapter', 'register']) {
    for (const cell of cells) {
      if (cell.workload === 'invoke' || !cell.results.has(name) || !cell.results.has(PEER)) continue;
      const cpu = ratio(cell.results, name, 'cpuPerRequest');
      const peer = ratio(cell.results, PEER, 'cpuPerRequest');
      check(
        cpu < peer,
        `${VARIANTS[name].label}, ${cell.workload} route, ${cell.connections} connections: CPU ${x(cpu)}, below the hand-written peer's ${x(peer)}`,
      );
    }
  }
  if (cold?.results.has('bare')) {
    const bare = median(cold.results.get('bare'));
    for (const [name, times] of cold.results) {
      if (name !== 'adapter' && name !== 'register') continue;
      const extra = median(times) - bare;
      check(extra <= 30, `${VARIANTS[name].label}: cold start bare ${signed(extra, f1)} ms (target ≤ +30 ms)`);
    }
  }
  for (const [name, [first, second]] of heap?.results ?? []) {
    if (name === 'bare') continue;
    const change = (second / first - 1) * 100;
    check(Math.abs(change) <= 5, `${VARIANTS[name].label}: heap ${signed(change, f1)} % between the two counts (target within ± 5 %)`);
  }
  return lines.join('\n') + '\n';
}

function report({ date, machine, options, minutes, skipped, cells, retries, cold, heap }) {
  let out = `\n## express-fc-runtime bench, ${date}\n\n`;
  out += `${machine}. ${options.rounds} interleaved rounds of ${options.duration} s per window${options.quick ? ' (quick mode)' : ''}; `;
  out += `bare Express runs between every two other variants, and each ratio is against the mean of the bare windows on either side of it; medians over rounds; ${f1(minutes)} min in all. `;
  out += `${retries.count} windows were measured again because the bare windows either side of them differed by more than ${f0(retries.moved * 100)} % in CPU per request`;
  out += `${retries.gaveUp ? `; ${retries.gaveUp} still did after ${retries.max} retries and count as they are` : ''}.\n\n`;
  const http = cells.filter((cell) => cell.workload !== 'invoke');
  out += row(['route', 'conns', 'variant', 'CPU µs/req', 'CPU ×bare', 'req/s', 'req/s ×bare', 'p50 ms', 'p99 ms', 'p99 ×bare']);
  out += row(Array(10).fill('---'));
  for (const cell of http) {
    for (const [name, results] of cell.results) {
      const med = (key) => median(results.map((result) => result[key]));
      const bare = name === 'bare';
      out += row([
        cell.workload,
        cell.connections,
        VARIANTS[name].label,
        f1(med('cpuPerRequest')),
        bare ? '1' : x(ratio(cell.results, name, 'cpuPerRequest')),
        f0(med('rps')),
        bare ? '1' : x(ratio(cell.results, name, 'rps')),
        f2(med('p50')),
        f2(med('p99')),
        bare ? '1' : x(ratio(cell.results, name, 'p99')),
      ]);
    }
  }
  for (const [name, why] of skipped) out += `\n${VARIANTS[name].label}: not measured (${why}).\n`;

  const invoke = cells.find((cell) => cell.workload === 'invoke');
  if (invoke) {
    out += `\nEvents, 1 KB JSON, ${invoke.connections} connections (bare Express: a POST /invoke route with express.raw; fcRuntime: the /invoke control path):\n\n`;
    out += row(['variant', 'round trips/s', '×bare', 'CPU µs/req', 'CPU ×bare', 'p99 ms']);
    out += row(Array(6).fill('---'));
    for (const [name, results] of invoke.results) {
      const med = (key) => median(results.map((result) => result[key]));
      const bare = name === 'bare';
      out += row([
        VARIANTS[name].label,
        f0(med('rps')),
        bare ? '1' : x(ratio(invoke.results, name, 'rps')),
        f1(med('cpuPerRequest')),
        bare ? '1' : x(ratio(invoke.results, name, 'cpuPerRequest')),
        f2(med('p99')),
      ]);
    }
  }

  if (cold) {
    out += `\nCold start, spawn to first accepted connection, median of ${options.cold}:\n\n`;
    out += row(['variant', 'median ms', 'vs bare']);
    out += row(['---', '---', '---']);
    const bare = cold.results.has('bare') ? median(cold.results.get('bare')) : NaN;
    for (const [name, times] of cold.results) {
      const ms = median(times);
      out += row([VARIANTS[name].label, f1(ms), name === 'bare' ? '' : `${signed(ms - bare, f1)} ms`]);
    }
    for (const [name, why] of cold.skipped) out += `\n${VARIANTS[name].label}: not measured (${why}).\n`;
  }

  if (heap) {
    const [first, second] = options.heap.map((n) => `${n / 1000} k`);
    out += `\nHeap in use after forced GC (realistic route, 100 connections, fresh server):\n\n`;
    out += row(['variant', `after ${first} req`, `after ${second} req`, 'change']);
    out += row(['---', '---', '---', '---']);
    for (const [name, [a, b]] of heap.results) {
      out += row([VARIANTS[name].label, `${f2(a / 2 ** 20)} MB`, `${f2(b / 2 ** 20)} MB`, `${signed((b / a - 1) * 100, f1)} %`]);
    }
    for (const [name, why] of heap.skipped) out += `\n${VARIANTS[name].label}: not measured (${why}).\n`;
  }

  out += `\nTargets:\n\n` + checks(cells, cold, heap);
  return out;
}

module.exports = { report, median };
