// One measured window: autocannon against a server, with the server's own CPU time read around it.
'use strict';
const autocannon = require('autocannon');

const SECRET = 'bench5ecretAccessKeyValue0123456789abc';
// STS tokens are long; every write to stdout is scanned for it.
const TOKEN = 'CAIS' + 'benchSecurityTokenPayload'.repeat(16);

/** The common headers FC sends with an HTTP invocation (one fixed request id: the server cannot tell). */
function fcHeaders(controlPath) {
  return {
    'x-fc-request-id': '1-6571f2c4-a1b2c3d4e5f60718293a4b5c',
    'x-fc-access-key-id': 'STS.benchAccessKeyId01234',
    'x-fc-access-key-secret': SECRET,
    'x-fc-security-token': TOKEN,
    'x-fc-function-handler': 'index.handler',
    'x-fc-function-memory': '1024',
    'x-fc-function-initializer': 'index.initializer',
    'x-fc-initialization-timeout': '30',
    'x-fc-instance-lifecycle-pre-stop-handler': 'index.preStop',
    'x-fc-region': 'cn-hangzhou',
    'x-fc-account-id': '1234567890123456',
    'x-fc-qualifier': 'LATEST',
    'x-fc-function-name': 'bench',
    'x-fc-service-name': 'bench-service',
    'x-fc-service-logproject': 'bench-project',
    'x-fc-service-logstore': 'bench-store',
    'x-fc-control-path': controlPath,
  };
}

/** A 1 KB JSON event. */
const EVENT = (() => {
  const event = { source: 'bench', items: [] };
  while (JSON.stringify(event).length < 1000) event.items.push({ id: event.items.length, name: 'item-' + event.items.length });
  return JSON.stringify(event);
})();

/** The requests of each workload. */
const WORKLOADS = {
  trivial: { path: '/hello', method: 'GET', headers: fcHeaders('/http-invoke') },
  realistic: { path: '/work?id=42', method: 'GET', headers: fcHeaders('/http-invoke') },
  // Bare Express has an ordinary POST /invoke route; the adapter answers the control path itself.
  invoke: {
    path: '/invoke',
    method: 'POST',
    headers: { ...fcHeaders('/invoke'), 'content-type': 'application/octet-stream' },
    body: EVENT,
  },
};

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Fires the workload at the server for `duration` seconds (or `amount` requests) on `connections`
 * keep-alive connections. Latency is kept per response in full precision: autocannon's own
 * histogram counts whole milliseconds, too coarse for sub-millisecond answers.
 */
function fire(port, workload, { connections, duration, amount, rate }) {
  const { path, method, headers, body } = WORKLOADS[workload];
  return new Promise((resolve, reject) => {
    let latencies = new Float64Array(1 << 16);
    let count = 0;
    let bad = 0;
    const started = process.hrtime.bigint();
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}${path}`,
        method,
        headers,
        body,
        connections,
        timeout: 10,
        ...(amount ? { amount } : { duration }),
        ...(rate ? { overallRate: rate } : {}),
      },
      (error, result) => {
        if (error) return reject(error);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const sorted = latencies.subarray(0, count).sort();
        resolve({
          requests: count,
          failed: bad + result.errors + result.timeouts,
          rps: count / seconds,
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
        });
      },
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status >= 300) bad++;
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = ms;
    });
  });
}

/** A measured window: the server's CPU per request served beside throughput and latency. */
async function measure(server, workload, options) {
  await server.resetCpu();
  const load = await fire(server.port, workload, options);
  const cpu = await server.readCpu();
  return { ...load, cpuPerRequest: cpu / load.requests };
}

module.exports = { fire, measure, WORKLOADS };
