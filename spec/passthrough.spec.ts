import { expect } from 'chai';
import { createHash, randomBytes } from 'crypto';
import type express from 'express';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'http';
import request from 'supertest';
import { close, fcHeaders, listen, stacksServing } from './helpers/apps';
import { call, type Answer, type Call } from './helpers/http';
import { recordOutput } from './helpers/output';

/**
 * One request through Node's own client: the path goes on the wire exactly as written and header
 * names keep the casing given here.
 */
const send = (server: Server, options: Call): Promise<Answer> => call(server, { timeoutMs: 10_000, ...options });

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Header names of a rawHeaders list, as they came on the wire. */
const namesOf = (rawHeaders: string[]) => rawHeaders.filter((_, i) => i % 2 === 0);

/** 1 MB holding every byte value, then random bytes. */
const PAYLOAD = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(1024 * 1024 - 256)]);
/** What /binary answers: every byte value, both ways round, then random bytes. */
const BINARY = Buffer.concat([
  Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
  Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i)),
  randomBytes(64 * 1024),
]);

/** What a route saw, as the echo routes answer it. */
interface Seen {
  method: string;
  url: string;
  originalUrl?: string;
  path?: string;
  query?: Record<string, unknown>;
  params?: Record<string, string>;
  route?: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  headersDistinct: NodeJS.Dict<string[]>;
  credentials: { accessKeyId?: string; accessKeySecret?: string; securityToken?: string };
  basePath?: string;
}

function seen(req: IncomingMessage): Seen {
  const { credentials, basePath } = (req as express.Request).fc!;
  return {
    method: req.method!,
    url: req.url!,
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    headersDistinct: req.headersDistinct,
    credentials,
    basePath,
  };
}

/** Reads the raw request stream itself: no body parser in between. */
function digestBody(req: IncomingMessage, res: ServerResponse): void {
  const hash = createHash('sha256');
  let length = 0;
  req.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    length += chunk.length;
  });
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ method: req.method, length, sha256: hash.digest('hex') }));
  });
}

/** Routes written with Node's own API, answered the same by every stack. */
function answerBinary(_req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('content-type', 'application/octet-stream');
  res.setHeader('content-length', BINARY.length);
  res.end(BINARY);
}

function answerHeaders(_req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Set-Cookie', ['a=1; Path=/', 'b=2; Path=/; HttpOnly', 'c=3; Max-Age=60; Secure; SameSite=Lax']);
  res.setHeader('X-Custom-Answer', 'forty-two');
  res.setHeader('X-Other', 'second value');
  res.end('cookies');
}

/** The status routes: 201 with a body, 204, 302 with location, 418. */
function answerStatus(code: number, res: ServerResponse): void {
  if (code === 302) {
    res.writeHead(302, { location: '/elsewhere?from=status' });
    res.end();
  } else if (code === 204) {
    res.writeHead(204);
    res.end();
  } else {
    res.statusCode = code;
    res.setHeader('content-type', 'text/plain');
    res.end(`status ${code}`);
  }
}

const CREDENTIAL_HEADERS = {
  'X-Fc-Access-Key-Id': 'STS.AKID-mixed-case',
  'X-FC-Access-Key-Secret': 'secret-MixedCase-0001',
  'x-Fc-Security-TOKEN': 'token-MixedCase-0002',
};

describe('fcRuntime() HTTP passthrough', () => {
  const output = recordOutput();

  const stacks = stacksServing(
    (app) => {
      app.all('/body', digestBody);
      app.get('/binary', answerBinary);
      app.get('/cookies', (_req, res) => {
        res.cookie('a', '1');
        res.cookie('b', '2', { httpOnly: true });
        res.append('Set-Cookie', 'c=3; Max-Age=60; Secure; SameSite=Lax');
        res.set('X-Custom-Answer', 'forty-two');
        res.set('X-Other', 'second value');
        res.send('cookies');
      });
      app.get('/status/:code', (req, res) => {
        const code = Number(req.params.code);
        if (code === 302) res.redirect(302, '/elsewhere?from=status');
        else if (code === 204) res.status(204).end();
        else res.status(code).type('text/plain').send(`status ${code}`);
      });
      app.get('/', (req, res) => res.json({ ...seen(req), route: '/', path: req.path, originalUrl: req.originalUrl }));
      app.get('/users/:id', (req, res) =>
        res.json({ ...seen(req), route: '/users/:id', path: req.path, query: req.query, params: req.params, originalUrl: req.originalUrl }),
      );
      // Everything else echoes what the app saw; the method also as a header, for HEAD.
      app.use((req: express.Request, res: express.Response) => {
        res.set('x-echo-method', req.method);
        res.json({ ...seen(req), path: req.path, query: req.query, originalUrl: req.originalUrl });
      });
    },
    (req, res) => {
      const path = req.url!.split('?')[0];
      const status = /^\/status\/(\d{3})$/.exec(path);
      if (path === '/body') return digestBody(req, res);
      if (path === '/binary') return answerBinary(req, res);
      if (path === '/cookies') return answerHeaders(req, res);
      if (status) return answerStatus(Number(status[1]), res);
      res.setHeader('x-echo-method', req.method!);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(seen(req)));
    },
  );

  for (const stack of stacks) {
    describe(stack.name, () => {
      let server: Server;
      let initializerRuns = 0;
      before(async () => {
        server = await listen(
          stack.handler({
            initialize: () => {
              initializerRuns++;
            },
          }),
        );
      });
      after(() => close(server));

      it('hands every method to the app as sent', async () => {
        for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']) {
          const res = await send(server, { method, path: '/echo/method', headers: fcHeaders() });
          expect(res.status, method).to.equal(200);
          expect(res.headers['x-echo-method'], method).to.equal(method);
          if (method === 'HEAD') {
            expect(res.body.length).to.equal(0);
          } else {
            const body = JSON.parse(res.body.toString()) as Seen;
            expect(body.method).to.equal(method);
            expect(body.url).to.equal('/echo/method');
          }
        }
      });

      it('keeps the path and query string byte for byte, encoded characters and repeated keys included', async () => {
        const url = '/echo/some%20dir/caf%C3%A9?a=1&a=2&q=hello%20world&check=%E2%9C%93&plus=a+b&slash=%2F&empty=';
        const res = await send(server, { path: url, headers: fcHeaders() });
        expect(res.status).to.equal(200);
        const body = JSON.parse(res.body.toString()) as Seen;
        expect(body.url).to.equal(url);
        if (stack.express) {
          expect(body.path).to.equal('/echo/some%20dir/caf%C3%A9');
          expect(body.query).to.deep.equal({ a: ['1', '2'], q: 'hello world', check: '✓', plus: 'a b', slash: '/', empty: '' });
        }
      });

      it('passes custom request headers, with their casing preserved in req.rawHeaders', async () => {
        const res = await send(server, {
          path: '/echo/headers',
          headers: { ...fcHeaders(), 'X-Custom-Header': 'Some Value', 'x-MiXeD-Case': 'kept', Accept: 'application/x-thing' },
        });
        const body = JSON.parse(res.body.toString()) as Seen;
        expect(body.headers['x-custom-header']).to.equal('Some Value');
        expect(body.headers['x-mixed-case']).to.equal('kept');
        expect(body.headers.accept).to.equal('application/x-thing');
        const raw = body.rawHeaders;
        expect(raw[raw.indexOf('X-Custom-Header') + 1]).to.equal('Some Value');
        expect(raw[raw.indexOf('x-MiXeD-Case') + 1]).to.equal('kept');
        expect(raw).to.include('Accept');
        expect(body.headers['x-fc-request-id']).to.match(/^req-/);
      });

      it('hands the app the binary request body byte for byte (1 MB, every byte value)', async () => {
        for (const method of ['POST', 'PUT']) {
          const res = await send(server, {
            method,
            path: '/body',
            headers: { ...fcHeaders(), 'content-type': 'application/octet-stream', 'content-length': PAYLOAD.length },
            body: PAYLOAD,
          });
          expect(res.status).to.equal(200);
          expect(JSON.parse(res.body.toString())).to.deep.equal({ method, length: PAYLOAD.length, sha256: sha256(PAYLOAD) });
        }
      });

      it('hands the app a chunked binary request body byte for byte', async () => {
        const res = await send(server, {
          method: 'POST',
          path: '/body',
          headers: { ...fcHeaders(), 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
          body: PAYLOAD,
        });
        expect(JSON.parse(res.body.toString())).to.deep.equal({ method: 'POST', length: PAYLOAD.length, sha256: sha256(PAYLOAD) });
      });

      it('sends the binary response bytes unchanged', async () => {
        const res = await send(server, { path: '/binary', headers: fcHeaders() });
        expect(res.status).to.equal(200);
        expect(res.headers['content-type']).to.equal('application/octet-stream');
        expect(res.body.length).to.equal(BINARY.length);
        expect(res.body.equals(BINARY)).to.equal(true);
      });

      it('keeps the status codes the app sets: 201, 204, 302 with its location, 418', async () => {
        const created = await request(server).get('/status/201').set(fcHeaders()).expect(201);
        expect(created.text).to.equal('status 201');
        const empty = await request(server).get('/status/204').set(fcHeaders()).expect(204);
        expect(empty.text).to.equal('');
        const moved = await request(server).get('/status/302').set(fcHeaders()).redirects(0).expect(302);
        expect(moved.headers.location).to.equal('/elsewhere?from=status');
        const teapot = await request(server).get('/status/418').set(fcHeaders()).expect(418);
        expect(teapot.text).to.equal('status 418');
        for (const res of [created, empty, moved, teapot]) expect(res.headers['x-fc-status']).to.equal('200');
      });

      it('sends several Set-Cookie headers separately, and custom response headers as set', async () => {
        const res = await send(server, { path: '/cookies', headers: fcHeaders() });
        expect(res.status).to.equal(200);
        const cookies = res.headers['set-cookie']!;
        expect(cookies).to.have.length(3);
        expect(cookies[0]).to.match(/^a=1; Path=\//);
        expect(cookies[1]).to.match(/^b=2; Path=\/; HttpOnly/);
        expect(cookies[2]).to.equal('c=3; Max-Age=60; Secure; SameSite=Lax');
        // Three header lines on the wire, not one joined value.
        expect(namesOf(res.rawHeaders).filter((name) => name.toLowerCase() === 'set-cookie')).to.have.length(3);
        expect(res.headers['x-custom-answer']).to.equal('forty-two');
        expect(res.headers['x-other']).to.equal('second value');
        expect(res.body.toString()).to.equal('cookies');
      });

      it('removes x-fc-access-key-secret and x-fc-security-token from req.headers and req.rawHeaders, whatever their casing', async () => {
        const headers: Record<string, string> = { ...fcHeaders(), ...CREDENTIAL_HEADERS };
        for (const name of ['x-fc-access-key-id', 'x-fc-access-key-secret', 'x-fc-security-token']) Reflect.deleteProperty(headers, name);
        const res = await send(server, { path: '/echo/credentials', headers });
        const body = JSON.parse(res.body.toString()) as Seen;
        expect(body.headers).not.to.have.property('x-fc-access-key-secret');
        expect(body.headers).not.to.have.property('x-fc-security-token');
        const names = namesOf(body.rawHeaders).map((name) => name.toLowerCase());
        expect(names).not.to.include('x-fc-access-key-secret');
        expect(names).not.to.include('x-fc-security-token');
        expect(body.rawHeaders).not.to.include(CREDENTIAL_HEADERS['X-FC-Access-Key-Secret']);
        expect(body.rawHeaders).not.to.include(CREDENTIAL_HEADERS['x-Fc-Security-TOKEN']);
        // rawHeaders stays a list of name, value pairs, and Node's headersDistinct is built from it.
        expect(body.rawHeaders.length % 2).to.equal(0);
        expect(body.headersDistinct).not.to.have.property('x-fc-access-key-secret');
        expect(body.headersDistinct).not.to.have.property('x-fc-security-token');
        expect(body.headersDistinct['x-fc-access-key-id']).to.deep.equal(['STS.AKID-mixed-case']);
        // The key id stays, and the context still has the whole set.
        expect(body.headers['x-fc-access-key-id']).to.equal('STS.AKID-mixed-case');
        expect(body.rawHeaders[body.rawHeaders.indexOf('X-Fc-Access-Key-Id') + 1]).to.equal('STS.AKID-mixed-case');
        expect(body.credentials).to.deep.equal({
          accessKeyId: 'STS.AKID-mixed-case',
          accessKeySecret: 'secret-MixedCase-0001',
          securityToken: 'token-MixedCase-0002',
        });
        expect(body.headers['x-fc-function-name']).to.equal('site');
      });

      it('takes out a credential header sent twice, both times; the context has both values, joined as Node joins them', async () => {
        const common = fcHeaders();
        const headers = { ...common, 'x-fc-security-token': ['token-first-0003', 'token-second-0004'] };
        const res = await send(server, { path: '/echo/credentials', headers });
        const body = JSON.parse(res.body.toString()) as Seen;
        expect(body.headers).not.to.have.property('x-fc-security-token');
        expect(body.rawHeaders).not.to.include('token-first-0003');
        expect(body.rawHeaders).not.to.include('token-second-0004');
        expect(body.headersDistinct).not.to.have.property('x-fc-security-token');
        expect(body.credentials.securityToken).to.equal('token-first-0003, token-second-0004');
        expect(body.headers['x-fc-request-id']).to.equal(common['x-fc-request-id']);
      });

      it('gives the app its own routes named like control paths when FC sends them as /http-invoke', async () => {
        const cases = [
          ['POST', '/initialize'],
          ['POST', '/invoke'],
          ['GET', '/pre-freeze'],
          ['GET', '/pre-stop'],
        ];
        for (const [method, path] of cases) {
          const res = await send(server, { method, path, headers: fcHeaders(), body: Buffer.from('x') });
          expect(res.status, `${method} ${path}`).to.equal(200);
          const body = JSON.parse(res.body.toString()) as Seen;
          expect(body.method).to.equal(method);
          expect(body.url).to.equal(path);
        }
        expect(initializerRuns).to.equal(0);
        expect(output().stdout).not.to.match(/FC (Initialize|PreFreeze|PreStop) Start/);
      });
    });

    describe(`${stack.name} with keepCredentialHeaders: true`, () => {
      let server: Server;
      before(async () => {
        server = await listen(stack.handler({ keepCredentialHeaders: true }));
      });
      after(() => close(server));

      it('leaves both credential headers in req.headers and req.rawHeaders', async () => {
        const headers: Record<string, string> = { ...fcHeaders(), ...CREDENTIAL_HEADERS };
        for (const name of ['x-fc-access-key-id', 'x-fc-access-key-secret', 'x-fc-security-token']) Reflect.deleteProperty(headers, name);
        const res = await send(server, { path: '/echo/credentials', headers });
        const body = JSON.parse(res.body.toString()) as Seen;
        expect(body.headers['x-fc-access-key-secret']).to.equal('secret-MixedCase-0001');
        expect(body.headers['x-fc-security-token']).to.equal('token-MixedCase-0002');
        expect(body.rawHeaders[body.rawHeaders.indexOf('X-FC-Access-Key-Secret') + 1]).to.equal('secret-MixedCase-0001');
        expect(body.rawHeaders[body.rawHeaders.indexOf('x-Fc-Security-TOKEN') + 1]).to.equal('token-MixedCase-0002');
        expect(body.credentials.accessKeySecret).to.equal('secret-MixedCase-0001');
      });
    });
  }

  describe('x-fc-base-path', () => {
    const BASE = '/2016-08-15/proxy/web/site';

    for (const stack of stacks) {
      describe(stack.name, () => {
        let server: Server;
        let unstripped: Server;
        before(async () => {
          server = await listen(stack.handler());
          unstripped = await listen(stack.handler({ basePath: false }));
        });
        after(async () => {
          await close(server);
          await close(unstripped);
        });

        const get = (target: Server, path: string) =>
          send(target, { path, headers: fcHeaders({ 'x-fc-base-path': BASE }) }).then((res) => {
            expect(res.status).to.equal(200);
            return JSON.parse(res.body.toString()) as Seen;
          });

        it('removes the prefix before the app routes the request, and keeps it in req.fc.basePath', async () => {
          const body = await get(server, `${BASE}/users/7?x=1`);
          expect(body.url).to.equal('/users/7?x=1');
          expect(body.basePath).to.equal(BASE);
          if (stack.express) {
            expect(body.route).to.equal('/users/:id');
            expect(body.path).to.equal('/users/7');
            expect(body.params).to.deep.equal({ id: '7' });
            expect(body.query).to.deep.equal({ x: '1' });
          }
        });

        it('sends a request for exactly the prefix to /', async () => {
          for (const [path, url] of [
            [BASE, '/'],
            [`${BASE}/`, '/'],
            [`${BASE}?x=1`, '/?x=1'],
          ]) {
            const body = await get(server, path);
            expect(body.url, path).to.equal(url);
            if (stack.express) {
              expect(body.route, path).to.equal('/');
              expect(body.path, path).to.equal('/');
            }
          }
        });

        it('leaves alone a path that does not start with the prefix', async () => {
          const body = await get(server, `/other${BASE}/users/7`);
          expect(body.url).to.equal(`/other${BASE}/users/7`);
          expect(body.basePath).to.equal(BASE);
        });

        it('leaves alone a path where the prefix matches only part of a segment', async () => {
          const body = await get(server, '/2016-08-15/proxy/web/sitemap/users/7');
          expect(body.url).to.equal('/2016-08-15/proxy/web/sitemap/users/7');
          if (stack.express) expect(body.route).to.equal(undefined);
        });

        it('leaves the prefix in req.url with basePath: false', async () => {
          const body = await get(unstripped, `${BASE}/users/7?x=1`);
          expect(body.url).to.equal(`${BASE}/users/7?x=1`);
          expect(body.basePath).to.equal(BASE);
          if (stack.express) {
            expect(body.route).to.equal(undefined);
            expect(body.path).to.equal(`${BASE}/users/7`);
          }
        });

        it('leaves req.url alone without the header', async () => {
          const res = await send(server, { path: `${BASE}/users/7`, headers: fcHeaders() });
          const body = JSON.parse(res.body.toString()) as Seen;
          expect(body.url).to.equal(`${BASE}/users/7`);
          expect(body.basePath).to.equal(undefined);
        });
      });
    }
  });
});
