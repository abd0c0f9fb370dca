// Markers exactly once: one Start then one End per request id, whatever the handler or the client does.
import { expect } from 'chai';
import express from 'express';
import express4 from 'express4';
import { Agent, request as httpRequest, type IncomingMessage, type Server } from 'http';
import type { Options } from '../../lib';
import { expressFlavours, fcHeaders, listenPerTest, portOf } from '../helpers/apps';
import { call } from '../helpers/http';
import { recordOutput } from '../helpers/output';
import { deferred, expectMarkersOnce, rawConnection, waitForEnds } from './helpers';

/** How many times each scenario runs, all scenarios at once. */
const ROUNDS = 8;
const BIG = Buffer.alloc(4 * 1024 * 1024, 'x');

type Gate = ReturnType<typeof deferred<void>>;

/**
 * Per request id: `started` once the handler runs, `release` to let it go on. Shared by the
 * handlers and the test, which is how a test knows a handler is running without sleeping.
 */
class Gates {
  private started = new Map<string, Gate>();
  private released = new Map<string, Gate>();
  private get(map: Map<string, Gate>, id: string): Gate {
    let gate = map.get(id);
    if (gate === undefined) map.set(id, (gate = deferred()));
    return gate;
  }
  start(id: string): Promise<void> {
    this.get(this.started, id).resolve();
    return this.get(this.released, id).promise;
  }
  whenStarted(id: string): Promise<void> {
    return this.get(this.started, id).promise;
  }
  release(id: string): void {
    this.get(this.released, id).resolve();
  }
}

interface Scenario {
  name: string;
  /** Sends one request with `headers`; resolves once the client is done with it, whichever way. */
  send(port: number, headers: Record<string, string>, agent: Agent, gates: Gates, log: Logged): Promise<void>;
}

interface Logged {
  waitForEnd(id: string): Promise<void>;
  arrived(id: string): Promise<void>;
}

function event(headers: Record<string, string>): Record<string, string> {
  return { ...headers, 'x-fc-control-path': '/invoke' };
}

/** A request whose client waits until `until` resolves, then drops the connection. */
function dropped(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
  until: (req: ReturnType<typeof httpRequest>) => Promise<void>,
): Promise<void> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.on('response', (res: IncomingMessage) => {
      res.on('error', () => resolve());
    });
    req.write(body);
    void until(req).then(() => req.destroy());
  });
}

/** A request that must be answered with `status`. */
async function answered(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | Buffer,
  agent: Agent,
  status: number,
): Promise<void> {
  const res = await call(port, { method, path, headers, body, agent });
  expect(res.status, `${method} ${path} (${headers['x-fc-request-id']}): ${res.text.slice(0, 200)}`).to.equal(status);
}

/** A request on a connection of its own, which the server may cut after answering. */
const cut = (port: number, path: string, headers: Record<string, string>) =>
  call(port, { path, headers }).then(
    () => undefined,
    () => undefined,
  );

const SCENARIOS: Scenario[] = [
  { name: 'event: succeeds', send: (port, h, agent) => answered(port, 'POST', '/invoke', event(h), 'ok', agent, 200) },
  { name: 'event: throws synchronously', send: (port, h, agent) => answered(port, 'POST', '/invoke', event(h), 'throw', agent, 404) },
  { name: 'event: rejects', send: (port, h, agent) => answered(port, 'POST', '/invoke', event(h), 'reject', agent, 404) },
  { name: 'event: calls back twice', send: (port, h, agent) => answered(port, 'POST', '/invoke', event(h), 'twice', agent, 200) },
  {
    name: 'event: over the body limit',
    send: (port, h, agent) => answered(port, 'POST', '/invoke', event(h), Buffer.alloc(4096, 'e'), agent, 413),
  },
  {
    name: 'event: client leaves before the handler (half the body sent)',
    send: (port, h, _agent, _gates, log) =>
      dropped(port, 'POST', '/invoke', { ...event(h), 'content-length': '100' }, Buffer.alloc(50, 'h'), () =>
        log.arrived(h['x-fc-request-id']),
      ),
  },
  {
    name: 'event: client leaves during the handler',
    send: async (port, h, _agent, gates, log) => {
      const id = h['x-fc-request-id'];
      await dropped(port, 'POST', '/invoke', { ...event(h), 'content-length': '4' }, Buffer.from('gate'), () => gates.whenStarted(id));
      await log.waitForEnd(id);
      gates.release(id); // the handler answers a response that has closed
    },
  },
  {
    name: 'event: client leaves after the handler, while the answer is sent',
    send: (port, h) =>
      dropped(
        port,
        'POST',
        '/invoke',
        { ...event(h), 'content-length': '3' },
        Buffer.from('big'),
        (req) => new Promise((resolve) => req.on('response', (res) => res.once('data', () => resolve()))),
      ),
  },
  { name: 'route: succeeds', send: (port, h, agent) => answered(port, 'GET', '/ok', h, '', agent, 200) },
  { name: 'route: throws synchronously', send: (port, h, agent) => answered(port, 'GET', '/throw', h, '', agent, 500) },
  { name: 'route: rejects', send: (port, h, agent) => answered(port, 'GET', '/reject', h, '', agent, 500) },
  { name: 'route: answers twice', send: (port, h) => cut(port, '/twice', h) },
  {
    name: 'route: body over the parser limit',
    send: (port, h, agent) =>
      answered(port, 'POST', '/json', { ...h, 'content-type': 'application/json' }, JSON.stringify({ pad: 'p'.repeat(4096) }), agent, 413),
  },
  {
    name: 'route: client leaves before the handler (half the body sent)',
    send: (port, h, _agent, _gates, log) =>
      dropped(port, 'POST', '/json', { ...h, 'content-type': 'application/json', 'content-length': '100' }, Buffer.from('{"half":'), () =>
        log.arrived(h['x-fc-request-id']),
      ),
  },
  {
    name: 'route: client leaves during the handler',
    send: async (port, h, _agent, gates, log) => {
      const id = h['x-fc-request-id'];
      await dropped(port, 'GET', '/gate', h, Buffer.alloc(0), () => gates.whenStarted(id));
      await log.waitForEnd(id);
      gates.release(id);
    },
  },
  {
    name: 'route: client leaves after the handler, while the answer is sent',
    send: (port, h) =>
      dropped(
        port,
        'GET',
        '/big',
        h,
        Buffer.alloc(0),
        (req) => new Promise((resolve) => req.on('response', (res) => res.once('data', () => resolve()))),
      ),
  },
];

describe('reliability: Start and End markers exactly once', function () {
  this.timeout(60_000);
  const output = recordOutput();

  for (const flavour of expressFlavours) {
    describe(flavour.name, () => {
      const listenForTest = listenPerTest();
      const json = flavour.name === 'Express 4' ? express4.json : express.json;

      it(`writes one Start then one End for every invocation: ${ROUNDS} each of ${SCENARIOS.length} behaviours at once (success, throw, rejection, double answer, body limit, client leaving before, during and after the handler)`, async () => {
        const gates = new Gates();
        const options: Options = {
          limit: '1kb',
          invoke: (body, context, callback) => {
            const what = body.toString();
            if (what === 'throw') throw new Error('thrown at once');
            if (what === 'reject') return Promise.reject(new Error('rejected'));
            if (what === 'twice') {
              callback(null, 'first');
              callback(new Error('second'));
              return;
            }
            if (what === 'gate') {
              void gates.start(context.requestId).then(() => callback(null, 'released'));
              return;
            }
            if (what === 'big') {
              callback(null, BIG);
              return;
            }
            callback(null, 'ok');
          },
        };
        const server: Server = await listenForTest(
          flavour.app(options, (app) => {
            app.get('/ok', (_req, res) => res.send('ok'));
            app.get('/throw', () => {
              throw new Error('route threw');
            });
            // Express 4 does not catch rejections: the route passes its own on, as Express 4 apps must.
            app.get('/reject', (_req, _res, next) => void Promise.reject(new Error('route rejected')).catch(next));
            app.get('/twice', (_req, res, next) => {
              res.send('first');
              next(new Error('answered twice'));
            });
            app.post('/json', json({ limit: '1kb' }), (req, res) => res.json(req.body));
            app.get('/gate', (req, res) => void gates.start(req.fc!.requestId).then(() => res.send('released')));
            app.get('/big', (_req, res) => res.send(BIG));
          }),
        );
        const arrivals = new Map<string, Gate>();
        const arrival = (id: string) => {
          let gate = arrivals.get(id);
          if (gate === undefined) arrivals.set(id, (gate = deferred()));
          return gate;
        };
        server.on('request', (req: IncomingMessage) => arrival(String(req.headers['x-fc-request-id'])).resolve());
        const log: Logged = {
          arrived: (id) => arrival(id).promise,
          waitForEnd: (id) => waitForEnds(output(), [id]),
        };
        const agent = new Agent({ keepAlive: true, maxSockets: 32 });
        const ids: string[] = [];
        try {
          await Promise.all(
            SCENARIOS.flatMap((scenario) =>
              Array.from({ length: ROUNDS }, () => {
                // The id names the scenario, so a failure says which one lost its markers.
                const slug = scenario.name.replace(/[^a-z]+/g, '-');
                const headers = fcHeaders();
                headers['x-fc-request-id'] = `${slug}${headers['x-fc-request-id']}`;
                ids.push(headers['x-fc-request-id']);
                return scenario.send(portOf(server), headers, agent, gates, log);
              }),
            ),
          );
          await waitForEnds(output(), ids);
        } finally {
          agent.destroy();
        }
        expect(ids).to.have.length(SCENARIOS.length * ROUNDS);
        expectMarkersOnce(output().stdoutLines, ids);
      });

      // Pipelined answers wait their turn without a socket, and Node never closes them when the
      // connection goes: the connection's own 'close' has to end their invocations.
      for (const pipeline of [
        { name: 'GET requests, none answered yet', method: 'GET', body: '', answered: 0 },
        { name: 'POST requests whose bodies were read, two answered behind the first', method: 'POST', body: 'ab', answered: 2 },
      ]) {
        it(`writes the End marker of pipelined requests whose client left while their answers were queued: ${pipeline.name}`, async () => {
          const answers: (() => void)[] = [];
          const allArrived = deferred();
          const server: Server = await listenForTest(
            flavour.app({}, (app) =>
              app.all('/queued', (req, res) => {
                req.resume();
                answers.push(() => res.send('late'));
                if (answers.length === 5) allArrived.resolve();
              }),
            ),
          );
          const ids = Array.from({ length: 5 }, () => fcHeaders()['x-fc-request-id']);
          const socket = await rawConnection(portOf(server));
          socket.on('error', () => undefined);
          const length = pipeline.body === '' ? '' : `content-length: ${pipeline.body.length}\r\n`;
          socket.write(
            ids
              .map((id) => `${pipeline.method} /queued HTTP/1.1\r\nHost: x\r\nx-fc-request-id: ${id}\r\n${length}\r\n${pipeline.body}`)
              .join(''),
          );
          await allArrived.promise;
          // Answered behind the first, so held in their queue until the connection goes.
          const held = answers.splice(1, pipeline.answered);
          for (const answer of held) answer();
          socket.destroy();
          for (const answer of answers) answer();
          await waitForEnds(output(), ids);
          expectMarkersOnce(output().stdoutLines, ids);
        });
      }
    });
  }
});
