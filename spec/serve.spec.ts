import { expect } from 'chai';
import { once } from 'events';
import express from 'express';
import express4 from 'express4';
import type { IncomingMessage, Server } from 'http';
import { connect, type AddressInfo, type Socket } from 'net';
import request from 'supertest';
import { fcRuntime, serve, type FcContext, type Handler, type ServeOptions } from '../lib';
import { expressFlavours, fcHeaders, freePorts, portOf } from './helpers/apps';
import { fixture, run, type Child } from './helpers/child';
import { withEnv } from './helpers/env';
import { call, type Answer } from './helpers/http';
import { recordOutput } from './helpers/output';

const BASE_PATH = '/2016-08-15/proxy/web/site';

/** The same Express major as each flavour, without fcRuntime mounted. */
const plainExpress: Record<string, () => express.Express> = {
  'Express 5': () => express(),
  'Express 4': () => express4(),
};
/** The argument the child fixtures take for each flavour. */
const flavourArg: Record<string, string> = { 'Express 5': 'express5', 'Express 4': 'express4' };

/** One GET on a fresh connection to 127.0.0.1:port. */
const httpGet = (port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> =>
  call(port, { path, headers, timeoutMs: 10_000 });

/** 'connected', or the error code a TCP connect to 127.0.0.1:port ends with. */
function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(5000, () => socket.destroy(new Error('connect timed out')));
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Sends one HTTP/1.1 request on an open socket and resolves with the raw response, body `served <path>`. */
function exchange(socket: Socket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.endsWith(`served ${path}`)) {
        cleanup();
        resolve(text);
      }
    };
    const onEnd = () => {
      cleanup();
      reject(new Error(`the server ended the connection; got:\n${text}`));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onError);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
  });
}

const count = (lines: string[], line: string) => lines.filter((l) => l === line).length;

describe('serve(app, options)', () => {
  const output = recordOutput();

  const servers: Server[] = [];
  /** serve(), once listening; closed after the test. */
  async function served(app: Handler, options: ServeOptions): Promise<Server> {
    const server = serve(app, options);
    servers.push(server);
    await once(server, 'listening');
    return server;
  }
  afterEach(async () => {
    const closing = servers.splice(0).map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    });
    await Promise.all(closing);
  });

  const children: Child[] = [];
  function child(script: string, args: string[], env: Record<string, string> = {}): Child {
    const started = run(fixture(script), { FC_CUSTOM_LISTEN_PORT: '', FC_SERVER_PORT: '', ...env }, args);
    children.push(started);
    return started;
  }
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
      await c.exited;
    }
  });

  const bare: Handler = (req, res) => res.end(`served ${String(req.url)}`);

  describe('where it listens', () => {
    it('listens on 0.0.0.0 by default, reachable through 127.0.0.1', async () => {
      const server = await served(bare, { port: 0 });
      expect((server.address() as AddressInfo).address).to.equal('0.0.0.0');
      const reply = await httpGet(portOf(server), '/page');
      expect(reply.status).to.equal(200);
      expect(reply.text).to.equal('served /page');
      expect(output().stdout).not.to.contain('[WARN]');
    });

    it('listens on the host it is given, warning that FC cannot reach 127.0.0.1', async () => {
      const server = await served(bare, { port: 0, host: '127.0.0.1' });
      expect((server.address() as AddressInfo).address).to.equal('127.0.0.1');
      await request(server).get('/page').expect(200, 'served /page');
      const warning = output().stdoutLines.find((line) => line.includes('[WARN]'));
      expect(warning).to.match(/ - \[WARN\] .*127\.0\.0\.1.*FunctionNotStarted/);
    });

    it('takes the port option over the environment', async () => {
      let server: Server | undefined;
      withEnv({ FC_CUSTOM_LISTEN_PORT: 'not a port', FC_SERVER_PORT: 'nor this' }, () => {
        server = serve(bare, { port: 0 });
        servers.push(server);
      });
      await once(server!, 'listening');
      expect(portOf(server!)).to.be.above(0);
    });

    it('listens on FC_CUSTOM_LISTEN_PORT, before FC_SERVER_PORT', async () => {
      const [custom, legacy] = await freePorts(2);
      const c = child('serve-port.js', [], { FC_CUSTOM_LISTEN_PORT: String(custom), FC_SERVER_PORT: String(legacy) });
      expect(await c.waitFor(/^LISTEN/)).to.equal(`LISTENING ${custom}`);
      const reply = await httpGet(custom, '/');
      expect(reply.text).to.equal('port fixture');
      expect(await connectOutcome(legacy)).to.equal('ECONNREFUSED');
    });

    it('listens on FC_SERVER_PORT when FC_CUSTOM_LISTEN_PORT is absent', async () => {
      const [legacy] = await freePorts(1);
      const c = child('serve-port.js', [], { FC_SERVER_PORT: String(legacy) });
      expect(await c.waitFor(/^LISTEN/)).to.equal(`LISTENING ${legacy}`);
      const reply = await httpGet(legacy, '/');
      expect(reply.text).to.equal('port fixture');
    });

    it('listens on 9000 when neither variable is set', async () => {
      const c = child('serve-port.js', []);
      // 9000 may be taken on this machine: then the listen error must name 9000.
      expect(await c.waitFor(/^LISTEN/)).to.match(/^(LISTENING|LISTEN-ERROR \w+) 9000$/);
    });

    it('throws a TypeError naming the variable when the environment port is not a port', () => {
      withEnv({ FC_CUSTOM_LISTEN_PORT: 'http', FC_SERVER_PORT: undefined }, () => {
        expect(() => serve(bare)).to.throw(TypeError, /FC_CUSTOM_LISTEN_PORT.*"http"/);
      });
      withEnv({ FC_CUSTOM_LISTEN_PORT: undefined, FC_SERVER_PORT: '70000' }, () => {
        expect(() => serve(bare)).to.throw(TypeError, /FC_SERVER_PORT.*"70000"/);
      });
    });
  });

  describe('timeouts', () => {
    it('lifts every timeout Node puts on the server', async () => {
      const server = await served(bare, { port: 0 });
      expect(server.keepAliveTimeout).to.equal(0);
      expect(server.requestTimeout).to.equal(0);
      expect(server.headersTimeout).to.equal(0);
      expect(server.timeout).to.equal(0);
    });

    it("keeps an idle keep-alive connection open past Node's 5 s default", async function () {
      this.timeout(15_000);
      const server = await served(bare, { port: 0 });
      let connections = 0;
      server.on('connection', () => connections++);
      const socket = connect(portOf(server), '127.0.0.1');
      try {
        await once(socket, 'connect');
        const first = await exchange(socket, '/one');
        expect(first).to.match(/^HTTP\/1\.1 200 /);
        expect(first).not.to.match(/^connection: close/im);
        // The behaviour under test is an idle period itself: the one real wait of this file.
        await new Promise((resolve) => setTimeout(resolve, 6000));
        const second = await exchange(socket, '/two');
        expect(second).to.match(/^HTTP\/1\.1 200 /);
        expect(connections).to.equal(1);
      } finally {
        socket.destroy();
      }
    });
  });

  describe('the cold-start line', () => {
    it('is printed once per process when listening, though serve() is called twice', async () => {
      const c = child('serve-inited.js', ['express5', 'plain']);
      expect(await c.exited).to.equal(0);
      const lines = c.stdout.split('\n');
      expect(count(lines, 'FunctionCompute express runtime inited.')).to.equal(1);
      expect(lines).to.include('BOTH LISTENING');
      expect(lines.filter((l) => l.startsWith('FunctionCompute'))).to.have.length(1);
    });

    it("names the runtime given as serve()'s runtime option", async () => {
      const c = child('serve-inited.js', ['express5', 'option']);
      expect(await c.exited).to.equal(0);
      const lines = c.stdout.split('\n');
      expect(count(lines, 'FunctionCompute my-site runtime inited.')).to.equal(1);
      expect(lines.filter((l) => l.startsWith('FunctionCompute'))).to.have.length(1);
    });

    for (const flavour of expressFlavours) {
      it(`names the runtime given to the fcRuntime() an ${flavour.name} app mounts`, async () => {
        const c = child('serve-inited.js', [flavourArg[flavour.name], 'mounted']);
        expect(await c.exited).to.equal(0);
        const lines = c.stdout.split('\n');
        expect(count(lines, 'FunctionCompute my-site runtime inited.')).to.equal(1);
        expect(lines.filter((l) => l.startsWith('FunctionCompute'))).to.have.length(1);
      });
    }
  });

  for (const flavour of expressFlavours) {
    describe(`an ${flavour.name} app`, () => {
      /** Start and End markers of one request id, once its End marker is out. */
      async function markersOf(id: string): Promise<string[]> {
        await output().waitFor(new RegExp(`^FC Invoke End RequestId: ${id}$`));
        await new Promise((resolve) => setImmediate(resolve));
        return output().stdoutLines.filter((line) => line.startsWith('FC ') && line.endsWith(` ${id}`));
      }

      it('gets fcRuntime in front when it does not mount it: req.fc is set and invoke answers events', async () => {
        const app = plainExpress[flavour.name]();
        app.get('/who', (req, res) => res.send(req.fc?.requestId ?? 'no context'));
        const server = await served(app, { port: 0, invoke: (event) => `event:${event.toString()}` });
        const headers = fcHeaders();
        const id = headers['x-fc-request-id'];
        const res = await request(server).get('/who').set(headers).expect(200);
        expect(res.text).to.equal(id);
        expect(res.headers['x-fc-status']).to.equal('200');
        expect(await markersOf(id)).to.deep.equal([`FC Invoke Start RequestId: ${id}`, `FC Invoke End RequestId: ${id}`]);

        const event = fcHeaders({ 'x-fc-control-path': '/invoke' });
        await request(server).post('/invoke').set(event).send('hi').expect(200, 'event:hi');
        const eventId = event['x-fc-request-id'];
        expect(await markersOf(eventId)).to.deep.equal([`FC Invoke Start RequestId: ${eventId}`, `FC Invoke End RequestId: ${eventId}`]);
      });

      it('uses the fcRuntime() the app mounts instead of adding a second one', async () => {
        const app = flavour.app({ invoke: () => 'app invoke' }, (a) => {
          a.get('/who', (req, res) => res.send(req.fc?.requestId ?? 'no context'));
        });
        const server = await served(app, { port: 0 });
        const event = fcHeaders({ 'x-fc-control-path': '/invoke' });
        const eventId = event['x-fc-request-id'];
        await request(server).post('/invoke').set(event).send('x').expect(200, 'app invoke');
        expect(await markersOf(eventId)).to.deep.equal([`FC Invoke Start RequestId: ${eventId}`, `FC Invoke End RequestId: ${eventId}`]);

        const headers = fcHeaders();
        const id = headers['x-fc-request-id'];
        await request(server).get('/who').set(headers).expect(200, id);
        expect(await markersOf(id)).to.deep.equal([`FC Invoke Start RequestId: ${id}`, `FC Invoke End RequestId: ${id}`]);
      });

      it('runs the fcRuntime() the app mounts ahead of the middleware mounted before it: their lines carry the request id, and events never reach them', async () => {
        const seen: string[] = [];
        const app = plainExpress[flavour.name]();
        app.use((req, _res, next) => {
          seen.push(req.url);
          console.log(`before fcRuntime: ${req.url}`);
          next();
        });
        app.use(fcRuntime({ invoke: () => 'event' }));
        app.get('/page', (_req, res) => res.send('page'));
        const server = await served(app, { port: 0 });
        const headers = fcHeaders();
        await request(server).get('/page').set(headers).expect(200, 'page');
        await output().waitFor(new RegExp(`${headers['x-fc-request-id']} \\[INFO\\] before fcRuntime: /page$`));
        await request(server)
          .post('/invoke')
          .set(fcHeaders({ 'x-fc-control-path': '/invoke' }))
          .send('x')
          .expect(200, 'event');
        expect(seen).to.deep.equal(['/page']);
      });

      it('throws a TypeError naming the options that belong to the mounted fcRuntime()', () => {
        const app = flavour.app({});
        expect(() => serve(app, { port: 0, invoke: () => 'x' })).to.throw(TypeError, /invoke.*fcRuntime\(\)/);
      });

      /** GET /users/:id answers what Express saw of the URL. */
      const users = (app: express.Express) => {
        app.get('/users/:id', (req, res) => res.json({ originalUrl: req.originalUrl, id: req.params.id, basePath: req.fc?.basePath }));
      };
      /** Serves `app` and checks that a request under the FC base path reaches /users/:id without it. */
      async function expectBasePathStripped(app: Handler): Promise<void> {
        const server = await served(app, { port: 0 });
        const res = await request(server)
          .get(`${BASE_PATH}/users/7?x=1`)
          .set(fcHeaders({ 'x-fc-base-path': BASE_PATH }))
          .expect(200);
        expect(res.body).to.deep.equal({ originalUrl: '/users/7?x=1', id: '7', basePath: BASE_PATH });
      }

      it('strips the base path before Express sees the request, when the app does not mount fcRuntime()', async () => {
        const app = plainExpress[flavour.name]();
        users(app);
        await expectBasePathStripped(app);
      });

      it('strips the base path before Express sees the request, when the app mounts fcRuntime()', async () => {
        await expectBasePathStripped(flavour.app(undefined, users));
      });
    });
  }

  describe('a bare (req, res) listener', () => {
    it('is served with fcRuntime in front: context, events and the base path', async () => {
      const listener: Handler = (req, res) => {
        const fc = (req as IncomingMessage & { fc?: FcContext }).fc;
        res.end(`${String(req.url)} ${String(fc?.requestId)}`);
      };
      const server = await served(listener, { port: 0, invoke: () => 'bare event' });
      const headers = fcHeaders({ 'x-fc-base-path': BASE_PATH });
      await request(server).get(`${BASE_PATH}/a?b=1`).set(headers).expect(200, `/a?b=1 ${headers['x-fc-request-id']}`);
      await request(server)
        .post('/invoke')
        .set(fcHeaders({ 'x-fc-control-path': '/invoke' }))
        .expect(200, 'bare event');
    });
  });

  describe('option checks', () => {
    it('throws a TypeError naming an unknown option', () => {
      expect(() => serve(bare, { port: 0, prot: 1 } as ServeOptions)).to.throw(TypeError, /"prot"/);
    });

    it('throws a TypeError naming port when it is not a port number', () => {
      expect(() => serve(bare, { port: '9000' } as unknown as ServeOptions)).to.throw(TypeError, /"port"/);
      expect(() => serve(bare, { port: 70000 })).to.throw(TypeError, /"port"/);
    });
  });

  describe('on SIGTERM', () => {
    /** The fixture's port, once it listens. */
    async function portOfChild(c: Child): Promise<number> {
      return Number((await c.waitFor(/^LISTENING \d+$/)).split(' ')[1]);
    }
    const indexOf = (lines: string[], pattern: RegExp) => lines.findIndex((l) => pattern.test(l));

    const cases = [
      ...expressFlavours.map((flavour) => ({
        title: `${flavour.name}, preStop given to serve()`,
        args: [flavourArg[flavour.name], 'plain'],
      })),
      ...expressFlavours.map((flavour) => ({
        title: `${flavour.name}, preStop given to the mounted fcRuntime()`,
        args: [flavourArg[flavour.name], 'mounted'],
      })),
    ];
    for (const { title, args } of cases) {
      it(`finishes the request in flight, refuses new connections, then runs preStop and exits 0 (${title})`, async () => {
        const c = child('serve-sigterm.js', args);
        const port = await portOfChild(c);
        const headers = fcHeaders();
        const id = headers['x-fc-request-id'];
        const slow = httpGet(port, '/slow', headers);
        await c.waitFor(new RegExp(`${id} \\[INFO\\] slow started$`));

        c.process.kill('SIGTERM');
        await c.waitFor(/^slow saw SIGTERM$/);
        expect(await connectOutcome(port)).to.equal('ECONNREFUSED');
        c.process.kill('SIGUSR2'); // lets the slow route answer

        const reply = await slow;
        const answered = Date.now();
        expect(reply.status).to.equal(200);
        expect(reply.text).to.equal('slow done');
        expect(await c.exited).to.equal(0);
        // Once nothing is in flight it does not sit out the 10 s drainTimeout.
        expect(Date.now() - answered).to.be.below(3000);

        const lines = c.stdout.split('\n');
        const end = indexOf(lines, new RegExp(`^FC Invoke End RequestId: ${id}$`));
        const start = indexOf(lines, /^FC PreStop Start RequestId: \S+$/);
        const ran = indexOf(lines, / \[INFO\] preStop ran$/);
        const stop = indexOf(lines, /^FC PreStop End RequestId: \S+$/);
        expect(end, c.stdout).to.be.above(-1);
        expect(start, c.stdout).to.be.above(end);
        expect(ran, c.stdout).to.be.above(start);
        expect(stop, c.stdout).to.be.above(ran);
        const stopId = lines[start].split(' ').pop()!;
        expect(lines[ran]).to.contain(` ${stopId} [INFO] preStop ran`);
        expect(lines[stop]).to.equal(`FC PreStop End RequestId: ${stopId}`);
        expect(lines.filter((l) => l.includes('preStop ran'))).to.have.length(1);
        expect(lines.filter((l) => l.startsWith('FC PreStop '))).to.have.length(2);
        expect(c.stderr).to.equal('');
      });
    }

    it('does not run preStop again when FC already called /pre-stop', async () => {
      const c = child('serve-sigterm.js', ['express5', 'plain']);
      const port = await portOfChild(c);
      const headers = fcHeaders({ 'x-fc-control-path': '/pre-stop' });
      const id = headers['x-fc-request-id'];
      const reply = await httpGet(port, '/pre-stop', headers);
      expect(reply.status).to.equal(200);
      expect(reply.headers['x-fc-status']).to.equal('200');
      await c.waitFor(new RegExp(`^FC PreStop End RequestId: ${id}$`));

      c.process.kill('SIGTERM');
      expect(await c.exited).to.equal(0);
      const lines = c.stdout.split('\n');
      expect(lines.filter((l) => l.includes('preStop ran'))).to.deep.equal(lines.filter((l) => l.endsWith(` ${id} [INFO] preStop ran`)));
      expect(lines.filter((l) => l.includes('preStop ran'))).to.have.length(1);
      expect(lines.filter((l) => l.startsWith('FC PreStop '))).to.deep.equal([
        `FC PreStop Start RequestId: ${id}`,
        `FC PreStop End RequestId: ${id}`,
      ]);
    });

    it('stops waiting for a request that never finishes after drainTimeout, then runs preStop and exits 0', async () => {
      const c = child('serve-sigterm.js', ['express5', 'plain', 'drain']);
      const port = await portOfChild(c);
      const headers = fcHeaders();
      const hang = httpGet(port, '/hang', headers).catch((error: unknown) => error as Error);
      await c.waitFor(new RegExp(`${headers['x-fc-request-id']} \\[INFO\\] hang started$`));

      const sent = Date.now();
      c.process.kill('SIGTERM');
      expect(await c.exited).to.equal(0);
      const elapsed = Date.now() - sent;
      expect(elapsed).to.be.within(190, 3000);
      expect(await hang).to.be.instanceOf(Error);
      const lines = c.stdout.split('\n');
      expect(lines.filter((l) => l.includes('preStop ran'))).to.have.length(1);
      expect(indexOf(lines, /^FC PreStop End RequestId: \S+$/)).to.be.above(indexOf(lines, / \[INFO\] preStop ran$/));
    });
  });
});
