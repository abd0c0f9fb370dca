import { expect } from 'chai';
import { io as ioClient } from 'socket.io-client';
import { join } from 'path';
import { fcHeaders } from './helpers/apps';
import { fixture, logOf, run, type Child } from './helpers/child';
import { expectOneInvocation } from './helpers/markers';
import { escapeRegExp } from './helpers/output';
import { connect as open, type Client } from './helpers/websocket';

// The register of this build: the fixture's currentContext() must read the same store.
const connect = (port: number, headers: Record<string, string>, path: string) => open(`ws://127.0.0.1:${port}${path}`, headers);

const REGISTER = ['-r', join(__dirname, '..', 'lib', 'register.js')];
// FC's environment: the runtime trusts x-fc-* headers, as on FC.
const ON_FC = { FC_FUNCTION_NAME: 'ws-spec' };

interface Site {
  child: Child;
  port: number;
}

async function start(how: string, upgrades: string, env: Record<string, string> = ON_FC): Promise<Site> {
  const child =
    how === 'register'
      ? run(fixture('ws-site.js'), { ...env, FC_CUSTOM_LISTEN_PORT: '0' }, [how, upgrades], { execArgv: REGISTER })
      : run(fixture('ws-site.js'), env, [how, upgrades]);
  const line = await child.waitFor(/^LISTENING \d+$/);
  return { child, port: Number(line.split(' ')[1]) };
}

/** The `<time> <id> [INFO] …` lines of `requestId` between its markers. */
async function linesOf(child: Child, requestId: string): Promise<string[]> {
  const { start, end } = await expectOneInvocation(logOf(child), 'Invoke', requestId);
  const own = new RegExp(`^\\S+ ${escapeRegExp(requestId)} \\[INFO\\] `);
  return child.stdout
    .split('\n')
    .slice(start + 1, end)
    .filter((line) => own.test(line))
    .map((line) => line.replace(own, ''));
}

describe('WebSocket: one connection, one invocation', function () {
  this.timeout(20_000);
  let site: Site | undefined;
  afterEach(async () => {
    if (site !== undefined && site.child.process.exitCode === null) {
      site.child.process.kill('SIGKILL');
      await site.child.exited;
    }
    site = undefined;
  });

  for (const how of ['serve', 'register', 'mounted']) {
    for (const upgrades of ['ws', 'noserver']) {
      const taking = upgrades === 'ws' ? 'new WebSocketServer({ server })' : "noServer + handleUpgrade in the app's own 'upgrade' listener";
      it(`under ${how === 'mounted' ? 'serve() of an app that mounts fcRuntime()' : how}, ${taking}: markers around the connection, its id everywhere in it, no credentials`, async () => {
        site = await start(how, upgrades);
        const [a, b] = [fcHeaders(), fcHeaders()];
        const [one, two] = await Promise.all([connect(site.port, a, '/ws'), connect(site.port, b, '/ws')]);
        for (const [client, headers] of [
          [one, a],
          [two, b],
        ] as const) {
          const hello = JSON.parse(await client.next()) as Record<string, unknown>;
          expect(hello).to.deep.equal({ hello: headers['x-fc-request-id'], secret: null, token: null, raw: 0, url: '/ws' });
        }
        one.ws.send('from one');
        two.ws.send('from two');
        expect(JSON.parse(await one.next())).to.deep.equal({ echo: 'from one', timer: a['x-fc-request-id'] });
        expect(JSON.parse(await two.next())).to.deep.equal({ echo: 'from two', timer: b['x-fc-request-id'] });
        one.ws.send(Buffer.from([0, 1, 2, 255]), { binary: true });
        expect([...(await one.nextBytes())]).to.deep.equal([0, 1, 2, 255]);
        one.ws.close(1000);
        two.ws.close(4000);
        expect(await linesOf(site.child, a['x-fc-request-id'])).to.deep.equal([
          'connection open',
          'message from one',
          `connection closed 1000 in ${a['x-fc-request-id']}`,
        ]);
        expect(await linesOf(site.child, b['x-fc-request-id'])).to.deep.equal([
          'connection open',
          'message from two',
          `connection closed 4000 in ${b['x-fc-request-id']}`,
        ]);
        expect(site.child.stdout + site.child.stderr).not.to.contain('secret-Abc123-example');
      });
    }
  }

  it("off FC, a client's x-fc-request-id is not taken and its credential headers are still removed", async () => {
    site = await start('serve', 'ws', { FC_FUNC_CODE_PATH: '' });
    const headers = fcHeaders();
    const client = await connect(site.port, headers, '/ws');
    const hello = JSON.parse(await client.next()) as { hello: string; secret: unknown; token: unknown };
    expect(hello.hello).to.match(/^[0-9a-f-]{36}$/);
    expect(hello).to.include({ secret: null, token: null });
    client.ws.close();
    expect(await linesOf(site.child, hello.hello)).to.include('connection open');
  });

  it('with option namespace, message handlers find the context in the cls-hooked namespace too', async () => {
    const child = run(fixture('ws-site.js'), ON_FC, ['serve', 'ws', 'cls']);
    site = { child, port: Number((await child.waitFor(/^LISTENING \d+$/)).split(' ')[1]) };
    const headers = fcHeaders();
    const client = await connect(site.port, headers, '/ws');
    await client.next();
    client.ws.send('in cls');
    const id = headers['x-fc-request-id'];
    expect(JSON.parse(await client.next())).to.deep.equal({ echo: 'in cls', timer: id, cls: id });
    client.ws.close();
  });

  it('an upgrade the app refuses (its listener destroys the socket) is still one invocation, ended with the connection', async () => {
    site = await start('serve', 'noserver');
    const headers = fcHeaders();
    const error = await connect(site.port, headers, '/elsewhere').catch((e: unknown) => e as Error);
    expect(error).to.be.instanceOf(Error);
    await expectOneInvocation(logOf(site.child), 'Invoke', headers['x-fc-request-id']);
  });

  it('a plain request beside the WebSocket server is still an invocation of its own', async () => {
    site = await start('serve', 'ws');
    const headers = fcHeaders();
    const res = await fetch(`http://127.0.0.1:${site.port}/plain`, { headers });
    expect(await res.text()).to.equal(headers['x-fc-request-id']);
    expect(await linesOf(site.child, headers['x-fc-request-id'])).to.deep.equal(['plain request']);
  });

  for (const how of ['serve', 'register']) {
    for (const transport of ['websocket', 'polling'] as const) {
      it(`socket.io under ${how}, ${transport} transport: every message handler runs in an invocation`, async () => {
        site = await start(how, 'socketio');
        const headers = fcHeaders();
        // Polling is one HTTP request per poll: each its own invocation, so no fixed id for all of them.
        if (transport === 'polling') delete (headers as Record<string, string | undefined>)['x-fc-request-id'];
        const socket = ioClient(`http://127.0.0.1:${site.port}`, { transports: [transport], extraHeaders: headers, reconnection: false });
        try {
          const hello = await new Promise<{ hello: string; secret: unknown; transport: string }>((resolve) =>
            socket.once('hello', resolve),
          );
          expect(hello).to.include({ secret: null, transport });
          if (transport === 'websocket') expect(hello.hello).to.equal(headers['x-fc-request-id']);
          socket.emit('say', 'over socket.io');
          const echo = JSON.parse(await new Promise<string>((resolve) => socket.once('echo', resolve))) as { echo: string; timer: string };
          expect(echo.echo).to.equal('over socket.io');
          expect(echo.timer).not.to.equal('none');
          const said = await site.child.waitFor(/ \[INFO\] message over socket\.io$/);
          const id = said.split(' ')[1];
          expect(id).to.equal(echo.timer);
          socket.disconnect();
          expect(await linesOf(site.child, id)).to.include('message over socket.io');
        } finally {
          socket.disconnect();
        }
      });
    }
  }

  /** SIGTERM, then the client's close code, the time it took, and the order of the log once the process has exited 0. */
  async function sigterm(client: Client, id: string): Promise<{ code: number; ms: number }> {
    const sent = Date.now();
    site!.child.process.kill('SIGTERM');
    const code = await client.closed;
    const ms = Date.now() - sent;
    expect(await site!.child.exited).to.equal(0);
    const lines = site!.child.stdout.split('\n');
    const closed = lines.findIndex((line) => line.endsWith(`${id} [INFO] connection closed 1001 in ${id}`));
    const end = lines.indexOf(`FC Invoke End RequestId: ${id}`);
    const preStop = lines.findIndex((line) => line.startsWith('FC PreStop Start RequestId: '));
    const ran = lines.findIndex((line) => line.endsWith('[INFO] preStop ran'));
    expect(closed, site!.child.stdout).to.be.above(-1);
    expect(end).to.be.above(closed);
    expect(preStop).to.be.above(end);
    expect(ran).to.be.above(preStop);
    return { code, ms };
  }

  it('SIGTERM: open connections are closed with 1001 once the requests have drained, their End markers written, then preStop, exit 0', async () => {
    site = await start('serve', 'ws', { ...ON_FC, DRAIN_MS: '10000' });
    const headers = fcHeaders();
    const client = await connect(site.port, headers, '/ws');
    await client.next();
    const { code, ms } = await sigterm(client, headers['x-fc-request-id']);
    expect(code).to.equal(1001);
    expect(ms).to.be.below(3000); // a connection does not hold the drain for its 10 s bound
  });

  it('SIGTERM: with a request still in flight, open connections are closed after the drain bound', async () => {
    site = await start('serve', 'ws');
    const headers = fcHeaders();
    const client = await connect(site.port, headers, '/ws');
    await client.next();
    void fetch(`http://127.0.0.1:${site.port}/hang`, { headers: fcHeaders() }).catch(() => undefined);
    await site.child.waitFor(/ \[INFO\] hang started$/);
    const { code, ms } = await sigterm(client, headers['x-fc-request-id']);
    expect(code).to.equal(1001);
    expect(ms).to.be.at.least(250); // drainTimeout: 300 ms
  });
});
