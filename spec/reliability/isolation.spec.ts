// Isolation under load: 10 000 requests, 200 at a time, none ever sees another's context or log id.
import { expect } from 'chai';
import type express from 'express';
import { EventEmitter, once } from 'events';
import { Agent, type Server } from 'http';
import { Readable, Transform, Writable } from 'stream';
import { pipeline } from 'stream/promises';
import { currentContext, logger, type FcContext } from '../../lib';
import { close, expressFlavours, listen, portOf } from '../helpers/apps';
import { call } from '../helpers/http';
import { recordOutput } from '../helpers/output';
import { expectMarkersOnce, pool, scaled, waitForEnds } from './helpers';

const REQUESTS = scaled(10_000);
const CONCURRENCY = 200;

/** `<time> <id> [LEVEL] <message>`. */
const LINE = /^\S+Z (\S+) \[(?:DEBUG|INFO|WARN|ERROR)\] (.*)$/;

/** What each request's credentials are, derived from its id, so any mix-up shows. */
function credentialsOf(id: string) {
  return { accessKeyId: `AK-${id}`, accessKeySecret: `SK-${id}-secret`, securityToken: `TK-${id}-token` };
}

/** Every context read of the run: how many, and those that were not the reader's own. */
const reads = { count: 0, wrong: [] as string[] };

/** Reads the context from the store and compares it with the request that is reading. */
function check(id: string, where: string, given?: FcContext): void {
  for (const context of given === undefined ? [currentContext()] : [currentContext(), given]) {
    reads.count++;
    const credentials = context?.credentials;
    const own =
      context?.requestId === id &&
      credentials?.accessKeyId === `AK-${id}` &&
      credentials.accessKeySecret === `SK-${id}-secret` &&
      credentials.securityToken === `TK-${id}-token`;
    if (!own && reads.wrong.length < 20) reads.wrong.push(`${id} at ${where} read ${context?.requestId ?? 'no context'}`);
  }
}

/** Context reads of request `n` in the shared steps; an HTTP request adds 2 in its body listeners. */
const stepReads = (n: number) => (n % 5 === 0 ? 12 : 11);
/** Log lines per request, each `<id> <label>`. */
const STEP_LINES = ['sync', 'timer', 'emitter', 'stream', 'logger', 'exported'];

/** The interleaving every request goes through: awaits, timers, setImmediate, emitters, streams, logs. */
async function steps(id: string, n: number, context: FcContext): Promise<void> {
  check(id, 'sync', context);
  console.log(`${id} sync`);
  // eslint-disable-next-line @typescript-eslint/await-thenable -- awaiting a plain value is one of the continuations under test
  await null;
  check(id, 'await');
  await new Promise((resolve) => setTimeout(resolve, n % 3));
  check(id, 'timer');
  console.log(`${id} timer`);
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => process.nextTick(resolve));
  check(id, 'setImmediate and nextTick');

  const emitter = new EventEmitter();
  emitter.on('ping', () => {
    check(id, 'emitter listener');
    console.info(`${id} emitter`);
  });
  const pinged = once(emitter, 'ping');
  setTimeout(() => emitter.emit('ping'), n % 2);
  await pinged;
  check(id, 'after the emitter');

  if (n % 5 === 0) {
    // A pipeline whose transform calls back from setImmediate: the costlier kind, for one in five.
    await pipeline(
      Readable.from(['a', 'b']),
      new Transform({
        transform(chunk, _encoding, callback) {
          check(id, 'transform');
          setImmediate(callback, null, chunk);
        },
      }),
      new Writable({
        write(_chunk, _encoding, callback) {
          check(id, 'writable');
          callback();
        },
      }),
    );
  } else {
    const readable = Readable.from(['a', 'b']);
    readable.on('data', () => check(id, 'stream data'));
    await new Promise((resolve) => readable.on('end', resolve));
    check(id, 'stream end');
  }
  console.warn(`${id} stream`);
  check(id, 'after the stream');
  context.logger.info(`${id} logger`);
  logger.error(`${id} exported`);
}

function routes(app: express.Express): void {
  app.post('/work/:n', (req, res, next) => {
    const id = req.fc!.requestId;
    const chunks: Buffer[] = [];
    // Listeners the request's own data and end events run after the handler has returned.
    req.on('data', (chunk: Buffer) => {
      check(id, 'request data');
      chunks.push(chunk);
    });
    req.on('end', () => {
      check(id, 'request end');
      steps(id, Number(req.params.n), req.fc!).then(
        () => res.json({ id: currentContext()?.requestId, body: Buffer.concat(chunks).toString() }),
        next,
      );
    });
  });
}

const invoke = async (event: Buffer, context: FcContext) => {
  const id = context.requestId;
  await steps(id, Number(event.toString().split(' ')[1]), context);
  return { id: currentContext()?.requestId, body: event.toString() };
};

describe('reliability: request isolation under load', function () {
  this.timeout(120_000);
  const output = recordOutput();
  const servers: Server[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

  before(async () => {
    for (const flavour of expressFlavours) servers.push(await listen(flavour.app({ invoke }, routes)));
  });
  after(async () => {
    agent.destroy();
    await Promise.all(servers.map(close));
  });

  it(`keeps ${REQUESTS} requests, ${CONCURRENCY} at a time, apart: every context read and log line is the request's own`, async () => {
    reads.count = 0;
    reads.wrong = [];
    const ids: string[] = [];
    const answered: string[] = [];
    let expectedReads = 0;
    const ports = servers.map(portOf);
    await pool(REQUESTS, CONCURRENCY, async (n) => {
      const id = `iso-${process.pid}-${n}`;
      ids.push(id);
      const credentials = credentialsOf(id);
      const event = n % 4 >= 2;
      expectedReads += stepReads(n) + (event ? 0 : 2);
      // Only the headers this is about: the parsing of the other common headers is not.
      const headers = {
        'x-fc-request-id': id,
        'x-fc-access-key-id': credentials.accessKeyId,
        'x-fc-access-key-secret': credentials.accessKeySecret,
        'x-fc-security-token': credentials.securityToken,
        'x-fc-control-path': event ? '/invoke' : '/http-invoke',
        'content-type': 'text/plain',
      };
      const res = await call(ports[n % 2], { method: 'POST', path: event ? '/invoke' : `/work/${n}`, headers, body: `body ${n}`, agent });
      expect(res.status, res.text).to.equal(200);
      const answer = JSON.parse(res.text) as { id: string; body: string };
      if (answer.id !== id || answer.body !== `body ${n}`) answered.push(`${id} got ${res.text}`);
    });
    await waitForEnds(output(), ids);

    expect(answered, 'answers carrying another request').to.deep.equal([]);
    expect(reads.wrong, 'context reads of another request (or of none)').to.deep.equal([]);
    expect(reads.count, 'context reads').to.equal(expectedReads);

    const lines = output().stdoutLines;
    const counts = new Map<string, number>();
    const crossed: string[] = [];
    for (const line of lines) {
      const match = LINE.exec(line);
      if (match === null) continue;
      const [, lineId, message] = match;
      const writer = message.split(' ')[0];
      if (writer !== lineId && crossed.length < 20) crossed.push(line);
      counts.set(lineId, (counts.get(lineId) ?? 0) + 1);
    }
    expect(crossed, 'log lines tagged with another request id').to.deep.equal([]);
    const miscounted = ids.filter((id) => counts.get(id) !== STEP_LINES.length);
    expect(miscounted.slice(0, 10), `${miscounted.length} requests without exactly ${STEP_LINES.length} lines of their own`).to.deep.equal(
      [],
    );
    expect(
      [...counts.keys()].filter((id) => !id.startsWith('iso-')),
      'lines outside the requests',
    ).to.deep.equal([]);
    expectMarkersOnce(lines, ids);
  });
});
