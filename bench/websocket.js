// The WebSocket echo figure: messages per second and server CPU per message, fcRuntime against bare, interleaved.
'use strict';
const path = require('path');
const WebSocket = require('ws');
const { Server } = require('./server');

const script = path.join(__dirname, 'servers', 'ws-echo.js');
const VARIANTS = {
  bare: { label: 'bare ws on Express 5', script, execArgv: [], env: {} },
  adapter: { label: 'under serve(): a connection per invocation', script, execArgv: [], env: { BENCH_WS: 'adapter' } },
};
const MESSAGE = Buffer.from(JSON.stringify({ type: 'message', text: 'x'.repeat(64) }));

/** `connections` clients, each with one message in flight: echo, then the next, for `seconds`. */
async function echoLoad(port, { connections, seconds }) {
  const clients = await Promise.all(
    Array.from({ length: connections }, () => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
      return new Promise((resolve, reject) => ws.once('open', () => resolve(ws)).once('error', reject));
    }),
  );
  let messages = 0;
  let running = true;
  for (const ws of clients) {
    ws.on('message', () => {
      messages++;
      if (running) ws.send(MESSAGE);
    });
    ws.send(MESSAGE);
  }
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  running = false;
  const counted = messages;
  await Promise.all(clients.map((ws) => new Promise((resolve) => ws.once('close', resolve).close())));
  return counted;
}

async function window(server, options) {
  await echoLoad(server.port, { connections: options.connections, seconds: options.warmup });
  await server.resetCpu();
  const messages = await echoLoad(server.port, { connections: options.connections, seconds: options.duration });
  const cpu = await server.readCpu();
  return { rps: messages / options.duration, cpuPerMessage: cpu / messages };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/**
 * Bare, adapter, bare, … for `rounds`: each adapter window divided by the mean of the bare windows
 * on either side. Returns a Markdown section.
 */
async function websocketEcho({ rounds, duration, warmup, connections = 10, log }) {
  const servers = {};
  try {
    for (const [name, variant] of Object.entries(VARIANTS)) {
      servers[name] = new Server(`ws-${name}`, variant);
      await servers[name].start();
    }
    const options = { duration, warmup, connections };
    const results = { bare: [], adapter: [], ratios: [] };
    let before = await window(servers.bare, options);
    results.bare.push(before);
    for (let round = 0; round < rounds; round++) {
      const adapter = await window(servers.adapter, options);
      const after = await window(servers.bare, options);
      results.adapter.push(adapter);
      results.bare.push(after);
      const cpu = adapter.cpuPerMessage / ((before.cpuPerMessage + after.cpuPerMessage) / 2);
      const rps = adapter.rps / ((before.rps + after.rps) / 2);
      results.ratios.push({ cpu, rps, extraCpu: adapter.cpuPerMessage - (before.cpuPerMessage + after.cpuPerMessage) / 2 });
      log(
        `  ws echo c=${connections} round ${round + 1}: bare ${after.cpuPerMessage.toFixed(1)} µs/msg ${Math.round(after.rps)} msg/s, adapter ${adapter.cpuPerMessage.toFixed(1)} µs/msg ${Math.round(adapter.rps)} msg/s`,
      );
      before = after;
    }
    const m = (list, key) => median(list.map((item) => item[key]));
    return (
      `\n### WebSocket echo (${connections} connections, one message in flight each, ${MESSAGE.length} B; medians of ${rounds} rounds)\n\n` +
      `| variant | msg/s | CPU µs/msg | vs bare: CPU | vs bare: msg/s | CPU µs/msg added |\n| --- | --- | --- | --- | --- | --- |\n` +
      `| ${VARIANTS.bare.label} | ${Math.round(m(results.bare, 'rps'))} | ${m(results.bare, 'cpuPerMessage').toFixed(1)} | | | |\n` +
      `| ${VARIANTS.adapter.label} | ${Math.round(m(results.adapter, 'rps'))} | ${m(results.adapter, 'cpuPerMessage').toFixed(1)} | ×${m(results.ratios, 'cpu').toFixed(2)} | ×${m(results.ratios, 'rps').toFixed(2)} | ${m(results.ratios, 'extraCpu').toFixed(2)} |\n`
    );
  } finally {
    for (const server of Object.values(servers)) server.stop();
  }
}

module.exports = { websocketEcho };
