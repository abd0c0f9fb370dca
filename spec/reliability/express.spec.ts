// Express's own guarantees: the same app with fcRuntime() in front answers every request exactly as without it.
import { expect } from 'chai';
import express from 'express';
import express4 from 'express4';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'fs';
import type { Server } from 'http';
import { tmpdir } from 'os';
import { join } from 'path';
import { fcRuntime } from '../../lib';
import { close, fcHeaders, listen, portOf } from '../helpers/apps';
import { call, type Answer } from '../helpers/http';
import { recordOutput } from '../helpers/output';

type Express = typeof express;

/** An ordinary site: routers, a sub-app, params, proxies, redirects, files, negotiation, cookies, errors. */
function site(e: Express, dir: string, withRuntime: boolean): express.Express {
  const app = e();
  if (withRuntime) app.use(fcRuntime());
  app.set('trust proxy', 'loopback');
  app.set('json spaces', 1);

  const api = e.Router();
  api.param('id', (req, _res, next, id) => {
    (req as express.Request & { userId?: number }).userId = Number(id);
    next();
  });
  api.get('/users/:id', (req, res) => {
    res.json({
      userId: (req as express.Request & { userId?: number }).userId,
      params: req.params,
      query: req.query,
      path: req.path,
      url: req.url,
      baseUrl: req.baseUrl,
      originalUrl: req.originalUrl,
      route: req.route.path,
      ip: req.ip,
      ips: req.ips,
      protocol: req.protocol,
      secure: req.secure,
      hostname: req.hostname,
      subdomains: req.subdomains,
      xhr: req.xhr,
      fresh: req.fresh,
    });
  });
  api.post('/echo', e.json({ limit: '1kb' }), e.urlencoded({ extended: false }), (req, res) => {
    res.status(201).json({ body: req.body, type: req.get('content-type'), json: req.is('json') });
  });
  app.use('/api', api);

  const admin = e();
  admin.get('/', (req, res) => res.send(`admin mounted at ${String(admin.mountpath)} with baseUrl ${req.baseUrl}`));
  app.use('/admin', admin);

  app.get('/redirect', (_req, res) => {
    res.redirect('/api/users/1');
  });
  app.get('/moved', (_req, res) => {
    res.redirect(301, 'https://example.com/elsewhere?x=1');
  });
  app.get('/location', (req, res) =>
    res
      .location(req.get('referer') ?? '/')
      .status(303)
      .end(),
  );

  app.get('/file', (_req, res, next) => {
    res.sendFile(join(dir, 'public', 'page.html'), (error) => error && next(error));
  });
  app.get('/missing-file', (_req, res, next) => {
    res.sendFile(join(dir, 'public', 'nope.html'), (error) => next(error));
  });
  app.get('/download', (_req, res) => {
    res.download(join(dir, 'public', 'data.csv'), 'report.csv');
  });
  app.use('/static', e.static(join(dir, 'public'), { maxAge: '1h' }));

  app.get('/negotiate', (_req, res) =>
    res.format({
      'text/plain': () => res.send('plain words'),
      'text/html': () => res.send('<p>html words</p>'),
      'application/json': () => res.json({ words: 'json' }),
      default: () => res.status(406).send('Not Acceptable'),
    }),
  );
  app.get('/accepts', (req, res) =>
    res.vary('Accept').json({
      type: req.accepts(['json', 'html']),
      language: req.acceptsLanguages('fr', 'en'),
      encoding: req.acceptsEncodings('gzip', 'identity'),
    }),
  );
  app.get('/cookies', (_req, res) =>
    res.cookie('session', 'abc', { httpOnly: true, path: '/' }).cookie('theme', 'dark').clearCookie('old').send('cookies set'),
  );
  app.get('/jsonp', (_req, res) => res.jsonp({ padded: true }));
  app.get('/attachment', (_req, res) => res.attachment('notes.txt').type('text/plain').send('attached'));

  app.get('/sync-error', () => {
    throw Object.assign(new Error('teapot failure'), { status: 418, expose: true });
  });
  app.get('/next-error', (_req, _res, next) => {
    next(Object.assign(new Error('conflict'), { statusCode: 409 }));
  });
  // Express 4 leaves rejections alone: the route passes it on, as Express 4 apps must.
  app.get('/async-error', (_req, _res, next) => void Promise.reject(new Error('async failure')).catch(next));

  app.use(
    (error: Error & { status?: number; statusCode?: number }, req: express.Request, res: express.Response, next: express.NextFunction) => {
      if (req.query.custom === undefined) {
        next(error);
        return;
      }
      res.status(error.status ?? error.statusCode ?? 500).json({ error: error.message, handledBy: 'custom' });
    },
  );
  app.use((req, res) => res.status(404).type('text').send(`nothing at ${req.method} ${req.path}`));
  return app;
}

interface Probe {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

const PROBES: Probe[] = [
  {
    path: '/api/users/42?sort=desc&tag=a&tag=b',
    headers: { 'x-forwarded-for': '203.0.113.7, 10.0.0.1', 'x-forwarded-proto': 'https', host: 'shop.example.com' },
  },
  { path: '/api/users/7/', headers: { host: 'a.b.shop.example.com', 'x-requested-with': 'XMLHttpRequest' } },
  { path: '/API/Users/9' },
  { path: '/api/users/x%20y?q=%E2%9C%93' },
  { method: 'OPTIONS', path: '/api/users/1' },
  { method: 'HEAD', path: '/api/users/1' },
  { method: 'POST', path: '/api/echo', headers: { 'content-type': 'application/json' }, body: '{"name":"Ada","tags":["x"]}' },
  { method: 'POST', path: '/api/echo', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=Ada&n=1' },
  { method: 'POST', path: '/api/echo', headers: { 'content-type': 'application/json' }, body: '{"broken":' },
  { method: 'POST', path: '/api/echo', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(2048) }) },
  { path: '/admin' },
  { path: '/admin/' },
  { path: '/redirect' },
  { path: '/redirect', headers: { accept: 'text/html' } },
  { path: '/moved' },
  { path: '/location', headers: { referer: 'https://example.com/from' } },
  { path: '/file' },
  { path: '/file', headers: { range: 'bytes=5-14' } },
  { path: '/file', headers: { range: 'bytes=9999-' } },
  { method: 'HEAD', path: '/file' },
  { path: '/file', headers: { 'if-modified-since': new Date(Date.now() + 86_400_000).toUTCString() } },
  { path: '/missing-file' },
  { path: '/download' },
  { path: '/static' },
  { path: '/static/' },
  { path: '/static/page.html' },
  { path: '/static/../secret.txt' },
  { path: '/static/%2e%2e/secret.txt' },
  { path: '/negotiate', headers: { accept: 'text/html' } },
  { path: '/negotiate', headers: { accept: 'application/json' } },
  { path: '/negotiate', headers: { accept: 'text/plain;q=0.5, text/html;q=0.4' } },
  { path: '/negotiate', headers: { accept: 'image/png' } },
  { path: '/accepts', headers: { accept: 'text/html', 'accept-language': 'en-GB,en;q=0.8', 'accept-encoding': 'gzip' } },
  { path: '/cookies' },
  { path: '/jsonp?callback=handle' },
  { path: '/attachment' },
  { path: '/sync-error' },
  { path: '/sync-error?custom=1' },
  { path: '/next-error' },
  { path: '/next-error?custom=1' },
  { path: '/async-error' },
  { path: '/async-error?custom=1' },
  { path: '/nowhere' },
  { method: 'DELETE', path: '/api/users/1' },
];

/** The parts of an answer the app decides: everything but the date and the runtime's x-fc-status. */
function observable(answer: Answer) {
  const headers = { ...answer.headers };
  delete headers.date;
  delete headers['x-fc-status'];
  // Express's default error page quotes the stack, whose frames differ by the runtime's own (and
  // so does the page's length); the rest of the page must be the same.
  const body = answer.text.replace(/(<br> &nbsp; &nbsp;at [^<]*)+/g, '<stack>');
  if (body !== answer.text) delete headers['content-length'];
  return { status: answer.status, headers, body };
}

const flavours: [string, Express][] = [
  ['Express 5', express],
  ['Express 4', express4],
];

describe('reliability: Express behaves exactly as without fcRuntime()', function () {
  this.timeout(30_000);
  recordOutput();
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fc-express-spec-'));
    mkdirSync(join(dir, 'public'));
    writeFileSync(join(dir, 'public', 'page.html'), '<!doctype html><title>page</title><p>static page</p>\n');
    writeFileSync(join(dir, 'public', 'index.html'), '<p>index</p>\n');
    writeFileSync(join(dir, 'public', 'data.csv'), 'a,b\n1,2\n');
    writeFileSync(join(dir, 'secret.txt'), 'not for the web');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, e] of flavours) {
    describe(name, () => {
      let plain: Server;
      let mounted: Server;
      before(async () => {
        plain = await listen(site(e, dir, false));
        mounted = await listen(site(e, dir, true));
      });
      after(() => Promise.all([close(plain), close(mounted)]));

      for (const fc of [true, false]) {
        it(`answers ${PROBES.length} requests ${fc ? 'sent by FC (/http-invoke)' : 'sent without FC headers'} the same, status, headers and body`, async () => {
          const differences: string[] = [];
          for (const probe of PROBES) {
            const send = (server: Server) =>
              call(portOf(server), {
                method: probe.method,
                path: probe.path,
                headers: { ...(fc ? fcHeaders() : {}), ...probe.headers },
                body: probe.body,
                timeoutMs: 5000,
              });
            const [without, withRuntime] = await Promise.all([send(plain), send(mounted)]);
            const a = observable(without);
            const b = observable(withRuntime);
            try {
              expect(b).to.deep.equal(a);
            } catch {
              differences.push(
                `${probe.method ?? 'GET'} ${probe.path}: without ${JSON.stringify(a).slice(0, 300)}\n   with ${JSON.stringify(b).slice(0, 300)}`,
              );
            }
            expect(withRuntime.headers['x-fc-status'], probe.path).to.equal(withRuntime.status >= 500 ? '404' : '200');
          }
          expect(differences, 'answers that differ').to.deep.equal([]);
        });
      }

      it('keeps conditional GET: the ETag of a file answered 304 with and without', async () => {
        for (const server of [plain, mounted]) {
          const first = await call(portOf(server), { path: '/file', headers: fcHeaders() });
          expect(first.status).to.equal(200);
          const etag = String(first.headers.etag);
          const again = await call(portOf(server), { path: '/file', headers: { ...fcHeaders(), 'if-none-match': etag } });
          expect(again.status).to.equal(304);
          expect(again.body.length).to.equal(0);
        }
      });
    });
  }
});
