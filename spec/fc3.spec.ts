// FC 3.0 as it is: the request details real FC 3.0 sends (the API-gateway capture), and the context read from them.
import { expect } from 'chai';
import type { IncomingMessage, Server, ServerResponse } from 'http';
import request from 'supertest';
import { serve, type FcContext } from '../lib';
import { bareApp, close, expressFlavours, fcHeaders, listen } from './helpers/apps';
import { withEnv } from './helpers/env';

type FcRequest = IncomingMessage & { fc?: FcContext; originalUrl?: string };
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** What the route saw: its URL as the app reads it and the whole context. */
interface Seen {
  url: string;
  originalUrl?: string;
  fc: FcContext;
}

/**
 * The header set of a real FC 3.0 request (API gateway in front, `GET /get?apikey=…`): the whole
 * path in `X-Fc-Base-Path`, the credential and tracing headers present but empty (the function
 * has no role), the function's timeout and the retry count.
 */
function capturedHeaders(): Record<string, string> {
  return {
    'X-Fc-Request-Id': '1-6752f0a1-1f2e3d4c5b6a79880123abcd',
    'X-Fc-Access-Key-Id': '',
    'X-Fc-Access-Key-Secret': '',
    'X-Fc-Security-Token': '',
    'X-Fc-Account-Id': '1234567890123456',
    'X-Fc-Base-Path': '/get',
    'X-Fc-Client-Ip': '203.0.113.7',
    'X-Fc-Function-Handler': 'index.handler',
    'X-Fc-Function-Memory': '512',
    'X-Fc-Function-Name': 'apig-demo',
    'X-Fc-Function-Timeout': '3',
    'X-Fc-Qualifier': 'LATEST',
    'X-Fc-Region': 'cn-hangzhou',
    'X-Fc-Retry-Count': '0',
    'X-Fc-Tracing-Opentracing-Span-Baggages': '',
    'X-Fc-Tracing-Opentracing-Span-Context': '',
    'X-Fc-Tracing-Jaeger-Endpoint': '',
    'X-Fc-Version-Id': '',
    'X-Fc-Eagleeye-Traceid': '',
    'X-Fc-Eagleeye-Rpcid': '',
  };
}

const ROLE_ENV = {
  ALIBABA_CLOUD_ACCESS_KEY_ID: 'ENV-AKID-fc3',
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'env-secret-fc3-123456',
  ALIBABA_CLOUD_SECURITY_TOKEN: 'env-token-fc3-abcdef',
  FC_FUNCTION_VERSION: '7',
};
const FC_ENV = [
  ...Object.keys(ROLE_ENV),
  'FC_VER_ID',
  'FC_FUNCTION_NAME',
  'FC_FUNCTION_MEMORY_SIZE',
  'FC_REGION',
  'FC_ACCOUNT_ID',
  'FC_FUNCTION_HANDLER',
];

/** A `/get` route and a `/` home page, behind fcRuntime(), on each stack. */
function stacks(seen: Seen[]): { name: string; handler: () => Handler }[] {
  const record = (req: FcRequest) => seen.push({ url: req.url!, originalUrl: req.originalUrl, fc: req.fc! });
  return [
    ...expressFlavours.map((flavour) => ({
      name: flavour.name,
      handler: () =>
        flavour.app(undefined, (app) => {
          app.get('/get', (req, res) => (record(req), res.send('the get route')));
          app.get('/', (req, res) => (record(req), res.send('the home page')));
        }),
    })),
    {
      name: 'a bare http handler',
      handler: () =>
        bareApp(undefined, (req, res) => (record(req), res.end(req.url!.startsWith('/get') ? 'the get route' : 'the home page'))),
    },
  ];
}

describe('FC 3.0 requests', () => {
  const seen: Seen[] = [];
  afterEach(() => seen.splice(0));

  for (const stack of stacks(seen)) {
    describe(`the captured API-gateway request on ${stack.name}`, () => {
      let server: Server;
      let withRole: Server;
      before(async () => {
        server = await withEnv({}, () => listen(stack.handler()), { unset: FC_ENV });
        withRole = await withEnv(ROLE_ENV, () => listen(stack.handler()), { unset: FC_ENV });
      });
      after(async () => {
        await close(server);
        await close(withRole);
      });

      it('reaches the app’s /get route with req.url unchanged, the base path kept in req.fc.basePath', async () => {
        await request(server).get('/get?apikey=1').set(capturedHeaders()).expect(200, 'the get route');
        expect(seen[0].url).to.equal('/get?apikey=1');
        expect(seen[0].fc.basePath).to.equal('/get');
      });

      it('reads the function timeout and retry count as numbers, and the client address', async () => {
        await request(server).get('/get?apikey=1').set(capturedHeaders()).expect(200);
        expect(seen[0].fc.function.timeout).to.equal(3);
        expect(seen[0].fc.retryCount).to.equal(0);
        expect(seen[0].fc.clientIp).to.equal('203.0.113.7');
        expect(seen[0].fc.function).to.include({ name: 'apig-demo', memory: 512, handler: 'index.handler' });
      });

      it('takes the empty credential, tracing and version headers as missing', async () => {
        await request(server).get('/get?apikey=1').set(capturedHeaders()).expect(200);
        expect(seen[0].fc.credentials).to.deep.equal({ accessKeyId: undefined, accessKeySecret: undefined, securityToken: undefined });
        expect(seen[0].fc.tracing).to.deep.equal({
          openTracingSpanContext: undefined,
          openTracingSpanBaggages: undefined,
          jaegerEndpoint: undefined,
        });
        expect(seen[0].fc.service.versionId).to.equal(undefined);
      });

      it('falls back to the environment’s credentials, as a set, when the credential headers are empty', async () => {
        await request(withRole).get('/get?apikey=1').set(capturedHeaders()).expect(200);
        expect(seen[0].fc.credentials).to.deep.equal({
          accessKeyId: ROLE_ENV.ALIBABA_CLOUD_ACCESS_KEY_ID,
          accessKeySecret: ROLE_ENV.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
          securityToken: ROLE_ENV.ALIBABA_CLOUD_SECURITY_TOKEN,
        });
        expect(seen[0].fc.service.versionId).to.equal('7');
      });

      it('gives the tracing headers FC sends as strings', async () => {
        const tracing = {
          'x-fc-tracing-opentracing-span-context': '5f3b1c2d4e6a7b8c:5f3b1c2d4e6a7b8c:0:1',
          'x-fc-tracing-opentracing-span-baggages': 'eyJmY0luc3RhbmNlSWQiOiJjLTEifQ==',
          'x-fc-tracing-jaeger-endpoint': 'http://tracing-analysis-dc-hz.aliyuncs.com/adapt_x/api/traces',
        };
        await request(server)
          .get('/')
          .set({ ...capturedHeaders(), 'X-Fc-Base-Path': '/', ...tracing })
          .expect(200, 'the home page');
        expect(seen[0].fc.tracing).to.deep.equal({
          openTracingSpanContext: tracing['x-fc-tracing-opentracing-span-context'],
          openTracingSpanBaggages: tracing['x-fc-tracing-opentracing-span-baggages'],
          jaegerEndpoint: tracing['x-fc-tracing-jaeger-endpoint'],
        });
      });

      it('still removes FC 2.0’s proxy prefix, and only that', async () => {
        const prefix = '/2016-08-15/proxy/web.LATEST/site';
        await request(server)
          .get(`${prefix}/get?apikey=1`)
          .set({ ...capturedHeaders(), 'X-Fc-Base-Path': prefix })
          .expect(200, 'the get route');
        expect(seen[0].url).to.equal('/get?apikey=1');
        expect(seen[0].fc.basePath).to.equal(prefix);
        for (const other of ['/get', '/api', '/2016-08-15/proxy/web']) {
          await request(server)
            .get('/get?apikey=1')
            .set({ ...capturedHeaders(), 'X-Fc-Base-Path': other })
            .expect(200, 'the get route');
        }
        expect(seen.slice(1).map((s) => s.url)).to.deep.equal(['/get?apikey=1', '/get?apikey=1', '/get?apikey=1']);
      });
    });
  }

  it('leaves req.originalUrl alone under serve(), where the runtime runs before Express', async () => {
    const [flavour] = expressFlavours;
    const app = flavour.app(undefined, (router) =>
      router.get('/get', (req, res) => res.json({ url: req.url, originalUrl: req.originalUrl, basePath: req.fc?.basePath })),
    );
    const server = serve(app, { port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const res = await request(server).get('/get?apikey=1').set(capturedHeaders()).expect(200);
      expect(res.body).to.deep.equal({ url: '/get?apikey=1', originalUrl: '/get?apikey=1', basePath: '/get' });
    } finally {
      await close(server);
    }
  });

  describe('numeric headers', () => {
    let server: Server;
    before(async () => {
      server = await withEnv(
        {},
        () => listen(bareApp(undefined, (req: FcRequest, res) => (seen.push({ url: req.url!, fc: req.fc! }), res.end('ok')))),
        { unset: FC_ENV },
      );
    });
    after(() => close(server));

    const cases: [string, number | undefined][] = [
      ['128', 128],
      ['0', 0],
      ['0x10', undefined],
      ['1e3', undefined],
      ['-1', undefined],
      ['12.5', undefined],
      ['', undefined],
    ];
    for (const [value, expected] of cases) {
      it(`reads x-fc-function-memory and x-fc-retry-count ${JSON.stringify(value)} as ${String(expected)}`, async () => {
        await request(server)
          .get('/')
          .set(fcHeaders({ 'x-fc-function-memory': value, 'x-fc-retry-count': value }))
          .expect(200);
        expect(seen[0].fc.function.memory).to.equal(expected);
        expect(seen[0].fc.retryCount).to.equal(expected);
      });
    }

    const seconds: [string, number | undefined][] = [
      ['3', 3],
      ['0.5', 0.5],
      ['0x10', undefined],
      ['1e3', undefined],
      ['-1', undefined],
      ['3s', undefined],
    ];
    for (const [value, expected] of seconds) {
      it(`reads x-fc-function-timeout and x-fc-initialization-timeout ${JSON.stringify(value)} as ${String(expected)}`, async () => {
        await request(server)
          .get('/')
          .set(fcHeaders({ 'x-fc-function-timeout': value, 'x-fc-initialization-timeout': value }))
          .expect(200);
        expect(seen[0].fc.function.timeout).to.equal(expected);
        expect(seen[0].fc.function.initializationTimeout).to.equal(expected);
      });
    }
  });

  // HTTP takes the spaces around a header's value off before the app sees it: ` 128 ` is tried here.
  it('reads FC_FUNCTION_MEMORY_SIZE in plain decimal only', async () => {
    for (const [value, expected] of [
      ['2048', 2048],
      [' 128 ', undefined],
      ['0x10', undefined],
      ['1e3', undefined],
    ] as const) {
      const server = await withEnv(
        { FC_FUNCTION_MEMORY_SIZE: value },
        () => listen(bareApp(undefined, (req: FcRequest, res) => res.end(String(req.fc!.function.memory)))),
        {
          unset: FC_ENV,
        },
      );
      try {
        await request(server)
          .get('/')
          .set(fcHeaders({ 'x-fc-function-memory': '' }))
          .expect(200, String(expected));
      } finally {
        await close(server);
      }
    }
  });

  describe('x-fc-initialization-timeout', () => {
    it('is clamped to FC 3.0’s 300 s: a huge value no longer times the initializer out at once', async () => {
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const server = await listen(bareApp({ initialize: () => (started(), released) }, (_req, res) => res.end('ok')));
      try {
        const answer = request(server)
          .post('/initialize')
          .set(fcHeaders({ 'x-fc-control-path': '/initialize', 'x-fc-initialization-timeout': '99999999999' }))
          .then((res) => res);
        await running;
        // A timer set before this one with a shorter delay fires first: an overflowed timeout
        // (setTimeout takes it as 1 ms) has failed the run by the time the initializer is let go.
        await new Promise((resolve) => setTimeout(resolve, 20));
        release();
        const res = await answer;
        expect(res.status).to.equal(200);
        expect(res.headers['x-fc-status']).to.equal('200');
      } finally {
        await close(server);
      }
    });
  });
});
