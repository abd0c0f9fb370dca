import { expect } from 'chai';
import { createNamespace, destroyNamespace, type Namespace } from 'cls-hooked';
import { EventEmitter, once } from 'events';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { Agent, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'http';
import { tmpdir } from 'os';
import { join } from 'path';
import { Readable, Transform, Writable } from 'stream';
import { pipeline } from 'stream/promises';
import request from 'supertest';
import { currentContext, requestIdMixin, type FcContext, type Options } from '../lib';
import { bareApp, close, expressFlavours, fcHeaders, listen, newRequestId, urlOf } from './helpers/apps';
import { withEnv } from './helpers/env';
import { escapeRegExp, recordOutput } from './helpers/output';

type FcRequest = IncomingMessage & { fc?: FcContext };
// An async route's promise goes to Express as it would from a real app's handler.
type Route = (req: FcRequest, res: ServerResponse) => void | Promise<void>;
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Express 5, Express 4 and a bare http handler, each with fcRuntime(options) in front of `route`. */
const stacks: { name: string; app(options: Options | undefined, route: Route): Handler }[] = [
  ...expressFlavours.map((flavour) => ({
    name: flavour.name,
    app: (options: Options | undefined, route: Route) => flavour.app(options, (app) => app.use((req, res) => route(req, res))),
  })),
  {
    name: 'a bare http handler',
    app: (options: Options | undefined, route: Route) =>
      bareApp(options, (req, res) => {
        void route(req, res);
      }),
  },
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const BASE_PATH = '/2016-08-15/proxy/web/site';

// Every variable fcRuntime() falls back to; the default servers are built with none of them set.
const FC_ENV = [
  'FC_FUNCTION_NAME',
  'FC_FUNCTION_HANDLER',
  'FC_FUNCTION_MEMORY_SIZE',
  'FC_REGION',
  'FC_ACCOUNT_ID',
  'FC_INSTANCE_ID',
  'ALIBABA_CLOUD_ACCESS_KEY_ID',
  'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
  'ALIBABA_CLOUD_SECURITY_TOKEN',
];

const ENV = {
  FC_FUNCTION_NAME: 'env-function',
  FC_FUNCTION_HANDLER: 'env.handler',
  FC_FUNCTION_MEMORY_SIZE: '1024',
  FC_REGION: 'cn-shanghai',
  FC_ACCOUNT_ID: '9876543210',
  FC_INSTANCE_ID: 'c-instance-context-1',
  ALIBABA_CLOUD_ACCESS_KEY_ID: 'ENV-AKID-context',
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'env-secret-context-123456',
  ALIBABA_CLOUD_SECURITY_TOKEN: 'env-token-context-abcdef',
};

/** The context's data fields as a plain object, so chai compares every key, undefined ones included. */
function snapshot(context: FcContext | undefined) {
  if (context === undefined) return undefined;
  const { requestId, controlPath, credentials, function: fn, service, region, accountId, instanceId, basePath } = context;
  return {
    requestId,
    controlPath,
    credentials: { ...credentials },
    function: { ...fn },
    service: { ...service },
    region,
    accountId,
    instanceId,
    basePath,
  };
}

/** What fcHeaders() says, as a context. */
function contextOf(headers: Record<string, string>) {
  return {
    requestId: headers['x-fc-request-id'],
    controlPath: '/http-invoke',
    credentials: {
      accessKeyId: 'STS.AKID-example',
      accessKeySecret: 'secret-Abc123-example',
      securityToken: 'token-Xyz789-example-security-token',
    },
    function: {
      name: 'site',
      handler: 'index.handler',
      memory: 512,
      timeout: undefined,
      initializer: 'index.initializer',
      initializationTimeout: 30,
      preStopHandler: 'index.preStop',
      preFreezeHandler: 'index.preFreeze',
    },
    service: { name: 'web', logProject: 'logs', logStore: 'fc-logs', qualifier: 'LATEST', versionId: '1' },
    region: 'cn-hangzhou',
    accountId: '1234567890',
    instanceId: undefined,
    basePath: undefined as string | undefined,
  };
}

function expectLogger(context: FcContext | undefined): void {
  for (const method of ['debug', 'info', 'warn', 'error'] as const) {
    expect(context?.logger[method], `logger.${method}`).to.be.a('function');
  }
}

function sendJson(res: ServerResponse, value: unknown): void {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(value));
}

const idNow = (): string | null => currentContext()?.requestId ?? null;

function pathOf(req: IncomingMessage): string {
  return new URL(req.url ?? '/', 'http://localhost').pathname;
}

describe('request context: req.fc and currentContext()', () => {
  const output = recordOutput();

  let dir: string;
  let textFile: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fc-context-spec-'));
    textFile = join(dir, 'text.txt');
    writeFileSync(textFile, 'file contents '.repeat(1000));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is undefined in the test itself, outside any request', () => {
    expect(currentContext()).to.equal(undefined);
    expect(requestIdMixin()).to.deep.equal({});
  });

  for (const stack of stacks) {
    describe(stack.name, () => {
      let server: Server;
      // What the last request's handler saw, for the tests that compare objects in-process.
      let seen: { fromReq: FcContext | undefined; current: FcContext | undefined; mixin: { requestId?: string } } | undefined;
      let held: { entered: (id: string | null) => void; release: Promise<void> } | undefined;
      let bodyEnded: ((id: string | null) => void) | undefined;
      let inFlight = 0;
      let maxInFlight = 0;

      const routes: Partial<Record<string, Route>> = {
        '/context'(req, res) {
          seen = { fromReq: req.fc, current: currentContext(), mixin: requestIdMixin() };
          res.end('ok');
        },
        async '/async'(_req, res) {
          const ids: Record<string, string | null> = { sync: idNow() };
          await new Promise<void>((resolve) =>
            setTimeout(() => {
              ids.setTimeout = idNow();
              resolve();
            }, 1),
          );
          await new Promise<void>((resolve) =>
            setImmediate(() => {
              ids.setImmediate = idNow();
              resolve();
            }),
          );
          await new Promise<void>((resolve) =>
            process.nextTick(() => {
              ids.nextTick = idNow();
              resolve();
            }),
          );
          await Promise.resolve();
          // eslint-disable-next-line @typescript-eslint/await-thenable -- awaiting a plain value is one of the continuations the context must survive
          await null;
          await new Promise((resolve) => setTimeout(resolve, 2));
          await new Promise((resolve) => setImmediate(resolve));
          ids.afterSeveralAwaits = idNow();
          ids.promiseChain = await Promise.resolve()
            .then(() => new Promise((resolve) => setTimeout(resolve, 1)))
            .then(() => idNow());
          sendJson(res, ids);
        },
        async '/emitter'(_req, res) {
          const ids: string[] = [];
          const emitter = new EventEmitter();
          emitter.on('ping', () => ids.push(String(idNow())));
          emitter.emit('ping');
          await new Promise<void>((resolve) =>
            setTimeout(() => {
              emitter.emit('ping');
              resolve();
            }, 1),
          );
          sendJson(res, ids);
        },
        async '/streams'(_req, res) {
          const ids: Partial<Record<string, string | null>> = {};
          const upper = new Transform({
            transform(chunk: Buffer, _encoding, callback) {
              ids.transform = idNow();
              callback(null, chunk.toString().toUpperCase());
            },
          });
          const written: string[] = [];
          const sink = new Writable({
            write(chunk: Buffer, _encoding, callback) {
              ids.write = idNow();
              written.push(chunk.toString());
              setImmediate(callback);
            },
          });
          sink.on('finish', () => (ids.finish = idNow()));
          await pipeline(Readable.from(['a', 'b', 'c']), upper, sink);
          ids.afterPipeline = idNow();

          const piped = Readable.from(['x', 'y']).pipe(new Transform({ transform: (chunk, _e, cb) => cb(null, chunk) }));
          piped.on('data', () => (ids.pipeData = idNow()));
          await new Promise<void>((resolve) =>
            piped.on('end', () => {
              ids.pipeEnd = idNow();
              resolve();
            }),
          );

          const file = createReadStream(textFile, { highWaterMark: 1024 });
          let fileChunks = 0;
          file.on('data', () => {
            fileChunks++;
            ids.fileData = ids.fileData === undefined || ids.fileData === idNow() ? idNow() : 'mixed';
          });
          await new Promise<void>((resolve, reject) => {
            file.on('error', reject);
            file.on('close', () => {
              ids.fileClose = idNow();
              resolve();
            });
          });
          sendJson(res, { ids, written: written.join(''), fileChunks });
        },
        '/late-body'(req, res) {
          const events: [string, string | null][] = [];
          req.on('data', (chunk: Buffer) => events.push([chunk.toString(), idNow()]));
          req.on('end', () => {
            events.push(['<end>', idNow()]);
            res.end(JSON.stringify(events));
          });
          // The client writes the rest of the body only once these headers have reached it.
          res.writeHead(200, { 'content-type': 'application/json' });
          res.flushHeaders();
        },
        '/answer-first'(req, res) {
          // The body's end comes after the answer, and after the invocation's End marker.
          req.on('end', () => bodyEnded!(idNow()));
          req.resume();
          res.end('answered');
        },
        '/hold'(_req, res) {
          const hold = held!;
          hold.entered(idNow());
          void hold.release.then(() => res.end(String(idNow())));
        },
        async '/concurrent'(req, res) {
          maxInFlight = Math.max(maxInFlight, ++inFlight);
          const views: unknown[] = [];
          const view = (context: FcContext | undefined) => context && { requestId: context.requestId, ...context.credentials };
          for (let round = 0; round < 3; round++) {
            await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
            views.push(view(currentContext()));
          }
          views.push(view(req.fc));
          inFlight--;
          sendJson(res, views);
        },
      };
      const route: Route = (req, res) => {
        const handle = routes[pathOf(req)];
        if (handle === undefined) {
          res.statusCode = 404;
          res.end('no route');
        } else {
          void handle(req, res);
        }
      };

      let invoked: { context: FcContext; current: FcContext | undefined } | undefined;
      before(async () => {
        const options: Options = {
          invoke: (_event, context) => {
            invoked = { context, current: currentContext() };
            return 'ok';
          },
        };
        server = await listen(withEnv({}, () => stack.app(options, route), { unset: FC_ENV }));
      });
      after(() => close(server));
      beforeEach(() => {
        seen = undefined;
        invoked = undefined;
      });

      it('gives req.fc and currentContext() the full context from the FC common headers', async () => {
        const headers = fcHeaders({ 'x-fc-base-path': BASE_PATH });
        await request(server).get(`${BASE_PATH}/context`).set(headers).expect(200, 'ok');
        const expected = { ...contextOf(headers), basePath: BASE_PATH };
        expect(snapshot(seen?.fromReq)).to.deep.equal(expected);
        expect(snapshot(seen?.current)).to.deep.equal(expected);
        expectLogger(seen?.fromReq);
        expectLogger(seen?.current);
        expect(seen?.mixin).to.deep.equal({ requestId: headers['x-fc-request-id'] });
      });

      it('gives memory and initializationTimeout as numbers', async () => {
        await request(server)
          .get('/context')
          .set(fcHeaders({ 'x-fc-function-memory': '3072', 'x-fc-initialization-timeout': '0.5' }))
          .expect(200);
        expect(seen?.fromReq?.function.memory).to.equal(3072);
        expect(seen?.fromReq?.function.initializationTimeout).to.equal(0.5);
      });

      it('gives undefined for a memory or initializer timeout header that is not a number', async () => {
        await request(server)
          .get('/context')
          .set(fcHeaders({ 'x-fc-function-memory': 'lots', 'x-fc-initialization-timeout': 'soon' }))
          .expect(200);
        expect(seen?.fromReq?.function).to.include({ memory: undefined, initializationTimeout: undefined });
        expect(seen?.current?.function).to.include({ memory: undefined, initializationTimeout: undefined });
      });

      it('leaves a field undefined when neither a header nor the environment gives it', async () => {
        await request(server).get('/context').expect(200, 'ok');
        const requestId = seen?.fromReq?.requestId;
        expect(snapshot(seen?.fromReq)).to.deep.equal({
          requestId,
          controlPath: '/http-invoke',
          credentials: { accessKeyId: undefined, accessKeySecret: undefined, securityToken: undefined },
          function: {
            name: undefined,
            handler: undefined,
            memory: undefined,
            timeout: undefined,
            initializer: undefined,
            initializationTimeout: undefined,
            preStopHandler: undefined,
            preFreezeHandler: undefined,
          },
          service: { name: undefined, logProject: undefined, logStore: undefined, qualifier: undefined, versionId: undefined },
          region: undefined,
          accountId: undefined,
          instanceId: undefined,
          basePath: undefined,
        });
        expect(snapshot(seen?.current)).to.deep.equal(snapshot(seen?.fromReq));
      });

      it('gives a request without x-fc-request-id a generated id in uuid shape', async () => {
        const headers = fcHeaders();
        delete headers['x-fc-request-id'];
        await request(server).get('/context').set(headers).expect(200);
        const first = seen?.fromReq?.requestId;
        expect(first).to.match(UUID);
        expect(seen?.current?.requestId).to.equal(first);
        await output().waitFor(new RegExp(`^FC Invoke End RequestId: ${String(first)}$`));

        await request(server).get('/context').set(headers).expect(200);
        expect(seen?.fromReq?.requestId).to.match(UUID).and.not.equal(first);
      });

      it('gives an event handler the same context, with controlPath /invoke', async () => {
        const headers = fcHeaders({ 'x-fc-control-path': '/invoke' });
        await request(server).post('/invoke').set(headers).send('event').expect(200, 'ok');
        const expected = { ...contextOf(headers), controlPath: '/invoke' };
        expect(snapshot(invoked?.context)).to.deep.equal(expected);
        expect(snapshot(invoked?.current)).to.deep.equal(expected);
        expectLogger(invoked?.context);
      });

      it('keeps the context in setTimeout, setImmediate, process.nextTick and promise chains after several awaits', async () => {
        const headers = fcHeaders();
        const res = await request(server).get('/async').set(headers).expect(200);
        const id = headers['x-fc-request-id'];
        expect(res.body).to.deep.equal({
          sync: id,
          setTimeout: id,
          setImmediate: id,
          nextTick: id,
          afterSeveralAwaits: id,
          promiseChain: id,
        });
      });

      it('keeps the context in an EventEmitter created and emitted during the request', async () => {
        const headers = fcHeaders();
        const res = await request(server).get('/emitter').set(headers).expect(200);
        expect(res.body).to.deep.equal([headers['x-fc-request-id'], headers['x-fc-request-id']]);
      });

      it('keeps the context in stream callbacks: a Readable → Transform pipeline and fs.createReadStream', async () => {
        const headers = fcHeaders();
        const res = await request(server).get('/streams').set(headers).expect(200);
        const id = headers['x-fc-request-id'];
        expect(res.body.written).to.equal('ABC');
        expect(res.body.fileChunks).to.be.greaterThan(1);
        expect(res.body.ids).to.deep.equal({
          transform: id,
          write: id,
          finish: id,
          afterPipeline: id,
          pipeData: id,
          pipeEnd: id,
          fileData: id,
          fileClose: id,
        });
      });

      it("keeps the context in the request's own data and end listeners when the body arrives after the handler listens", async () => {
        const headers = fcHeaders({ 'content-type': 'text/plain' });
        const id = headers['x-fc-request-id'];
        const signal = AbortSignal.timeout(5000);
        const req = httpRequest(`${urlOf(server)}/late-body`, { method: 'POST', headers, agent: false, signal });
        req.write('part-1;');
        // The response headers arrive once the handler has attached its listeners.
        const [res] = (await once(req, 'response', { signal })) as [IncomingMessage];
        expect(res.statusCode).to.equal(200);
        req.write('part-2;');
        await new Promise((resolve) => setImmediate(resolve));
        req.end('part-3;');
        let body = '';
        for await (const chunk of res) body += String(chunk);
        const events = JSON.parse(body) as [string, string | null][];

        expect(events.map(([text]) => text).join('')).to.equal('part-1;part-2;part-3;<end>');
        expect(events.some(([text]) => text.includes('part-2'))).to.equal(true);
        for (const [text, seenId] of events) expect(seenId, `listener for "${text}"`).to.equal(id);
      });

      it("keeps the context in the request's own end listener when the body ends after the invocation's End marker", async () => {
        const ended = new Promise<string | null>((resolve) => (bodyEnded = resolve));
        const headers = fcHeaders({ 'content-type': 'text/plain', 'content-length': '10' });
        const id = headers['x-fc-request-id'];
        const signal = AbortSignal.timeout(5000);
        // Kept alive, the server reads the rest of the body after answering instead of closing the connection.
        const agent = new Agent({ keepAlive: true });
        try {
          const req = httpRequest(`${urlOf(server)}/answer-first`, { method: 'POST', headers, agent, signal });
          req.write('first');
          const [res] = (await once(req, 'response', { signal })) as [IncomingMessage];
          res.resume();
          await output().waitFor(new RegExp(`^FC Invoke End RequestId: ${escapeRegExp(id)}$`));
          req.end('-last');

          expect(await ended).to.equal(id);
        } finally {
          agent.destroy();
        }
      });

      it('is undefined in a timer created outside any request, even while one is in flight', async () => {
        let release!: () => void;
        let entered!: (id: string | null) => void;
        const enteredWith = new Promise<string | null>((resolve) => (entered = resolve));
        held = { entered, release: new Promise<void>((resolve) => (release = resolve)) };
        const headers = fcHeaders();
        const response = fetch(`${urlOf(server)}/hold`, { headers, signal: AbortSignal.timeout(5000) });
        try {
          expect(await enteredWith).to.equal(headers['x-fc-request-id']);
          const inTimer = await new Promise((resolve) => setTimeout(() => resolve(currentContext()), 1));
          const inImmediate = await new Promise((resolve) => setImmediate(() => resolve(currentContext())));
          expect(inTimer).to.equal(undefined);
          expect(inImmediate).to.equal(undefined);
          expect(currentContext()).to.equal(undefined);
        } finally {
          release();
        }
        const res = await response;
        expect(await res.text()).to.equal(headers['x-fc-request-id']);
        held = undefined;
      });

      it('gives each of 50 concurrent requests only its own context', async () => {
        inFlight = 0;
        maxInFlight = 0;
        const sent = Array.from({ length: 50 }, (_, i) =>
          fcHeaders({
            'x-fc-access-key-id': `AKID-${i}`,
            'x-fc-access-key-secret': `secret-${i}-context-spec`,
            'x-fc-security-token': `token-${i}-context-spec`,
          }),
        );
        const responses = await Promise.all(sent.map((headers) => request(server).get('/concurrent').set(headers).expect(200)));
        expect(maxInFlight).to.be.greaterThan(1);
        responses.forEach((res, i) => {
          const own = {
            requestId: sent[i]['x-fc-request-id'],
            accessKeyId: `AKID-${i}`,
            accessKeySecret: `secret-${i}-context-spec`,
            securityToken: `token-${i}-context-spec`,
          };
          expect(res.body).to.deep.equal([own, own, own, own]);
        });
      });

      describe('with the FC 3.0 environment variables set', () => {
        let envServer: Server;
        before(async () => {
          envServer = await listen(withEnv(ENV, () => stack.app(undefined, route), { unset: FC_ENV }));
        });
        after(() => close(envServer));

        it('falls back to the environment for every field the headers miss, credentials and instanceId included', async () => {
          const requestId = newRequestId();
          await request(envServer).get('/context').set('x-fc-request-id', requestId).expect(200, 'ok');
          const expected = {
            requestId,
            controlPath: '/http-invoke',
            credentials: {
              accessKeyId: ENV.ALIBABA_CLOUD_ACCESS_KEY_ID,
              accessKeySecret: ENV.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
              securityToken: ENV.ALIBABA_CLOUD_SECURITY_TOKEN,
            },
            function: {
              name: ENV.FC_FUNCTION_NAME,
              handler: ENV.FC_FUNCTION_HANDLER,
              memory: 1024,
              timeout: undefined,
              initializer: undefined,
              initializationTimeout: undefined,
              preStopHandler: undefined,
              preFreezeHandler: undefined,
            },
            service: { name: undefined, logProject: undefined, logStore: undefined, qualifier: undefined, versionId: undefined },
            region: ENV.FC_REGION,
            accountId: ENV.FC_ACCOUNT_ID,
            instanceId: ENV.FC_INSTANCE_ID,
            basePath: undefined,
          };
          expect(snapshot(seen?.fromReq)).to.deep.equal(expected);
          expect(snapshot(seen?.current)).to.deep.equal(expected);
        });

        it('prefers the headers to the environment; instanceId still comes from the environment', async () => {
          const headers = fcHeaders();
          await request(envServer).get('/context').set(headers).expect(200, 'ok');
          expect(snapshot(seen?.fromReq)).to.deep.equal({ ...contextOf(headers), instanceId: ENV.FC_INSTANCE_ID });
        });

        it('takes the credentials as a set: one credential header means none come from the environment', async () => {
          await request(envServer)
            .get('/context')
            .set({ 'x-fc-request-id': newRequestId(), 'x-fc-access-key-id': 'HEADER-AKID' })
            .expect(200);
          expect(seen?.fromReq?.credentials).to.deep.equal({
            accessKeyId: 'HEADER-AKID',
            accessKeySecret: undefined,
            securityToken: undefined,
          });
        });
      });

      describe('with option namespace (a cls-hooked namespace)', () => {
        const name = `fc-context-spec-${stack.name.replace(/\W+/g, '-')}`;
        let namespace: Namespace;
        let nsServer: Server;
        before(async () => {
          namespace = createNamespace(name);
          const ns = namespace;
          nsServer = await listen(
            stack.app({ namespace: ns }, async (req, res) => {
              const read = () => ({
                sameAsReqFc: ns.get('fc') === req.fc,
                fcRequestId: ns.get('fc')?.requestId,
                requestId: ns.get('requestId'),
              });
              const views = [read()];
              await new Promise((resolve) => setTimeout(resolve, 2));
              views.push(read());
              views.push(await new Promise((resolve) => setTimeout(() => resolve(read()), 1)));
              sendJson(res, views);
            }),
          );
        });
        after(async () => {
          await close(nsServer);
          destroyNamespace(name);
        });

        it("publishes the context as ns.get('fc') and the id as ns.get('requestId'), also after an await and in a timer", async () => {
          const headers = fcHeaders();
          const id = headers['x-fc-request-id'];
          const res = await request(nsServer).get('/').set(headers).expect(200);
          const view = { sameAsReqFc: true, fcRequestId: id, requestId: id };
          expect(res.body).to.deep.equal([view, view, view]);
          expect(namespace.get('fc')).to.equal(undefined);
        });

        it('keeps concurrent requests apart in the namespace', async () => {
          const sent = Array.from({ length: 10 }, () => fcHeaders());
          const responses = await Promise.all(sent.map((headers) => request(nsServer).get('/').set(headers).expect(200)));
          responses.forEach((res, i) => {
            const id = sent[i]['x-fc-request-id'];
            const view = { sameAsReqFc: true, fcRequestId: id, requestId: id };
            expect(res.body).to.deep.equal([view, view, view]);
          });
        });
      });
    });
  }
});
