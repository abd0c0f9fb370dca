import { expect } from 'chai';
import { freePorts } from './helpers/apps';
import type { Child } from './helpers/child';
import { escapeRegExp } from './helpers/output';
import { bootstrap, cli, makeSite, removeSites } from './helpers/sites';
import { connect } from './helpers/websocket';

// An echo server as a site writes it, under register: text and binary back, `close-me` closes with 4002,
// `context` answers with what the runtime gave the connection.
const SERVER = `
const http = require('http');
const { WebSocketServer } = require('ws');
const { currentContext } = require('express-fc-runtime');
const server = http.createServer((req, res) => res.end('plain'));
const wss = new WebSocketServer({ server, path: '/echo' });
wss.on('connection', (ws, req) => {
  console.log('open');
  ws.on('message', (data, isBinary) => {
    const text = isBinary ? null : String(data);
    if (text === 'close-me') return ws.close(4002, 'asked to');
    if (text === 'context') {
      const context = currentContext();
      return ws.send(JSON.stringify({
        requestId: context && context.requestId,
        timeout: context && context.function.timeout,
        keyId: context && context.credentials.accessKeyId,
        headers: Object.keys(req.headers).filter((name) => name.startsWith('x-fc-')).sort(),
      }));
    }
    ws.send(data, { binary: isBinary });
  });
  ws.on('close', (code) => console.log('closed ' + code));
});
server.listen(3000);
`;

function site(timeout: number): string {
  return makeSite(
    {
      'server.js': SERVER,
      bootstrap: bootstrap('exec node -r express-fc-runtime/register server.js'),
      's.yaml': `edition: 3.0.0
name: echo
access: default
resources:
  echo:
    component: fc3
    props:
      region: cn-hangzhou
      functionName: echo
      runtime: custom.debian10
      code: ./
      timeout: ${timeout}
      customRuntimeConfig:
        command: [./bootstrap]
        port: 9000
`,
    },
    { packages: ['ws'] },
  );
}

interface Front {
  child: Child;
  ws: string;
}

async function front(dir: string): Promise<Front> {
  const [port] = await freePorts(1);
  const child = cli(['local', 'start', dir, '--port', String(port), '--function-port', '0']);
  await child.waitFor(/^fc-runtime local: http:\/\/127\.0\.0\.1:\d+\/ /, 30_000);
  return { child, ws: `ws://127.0.0.1:${port}` };
}

const summaryOf = (child: Child, id: string) => child.waitFor(new RegExp(`^FC GET .*RequestId: ${escapeRegExp(id)}$`), 15_000);

describe('fc-runtime local start: WebSocket upgrades', function () {
  this.timeout(30_000);
  let running: Front | undefined;
  afterEach(async () => {
    if (running !== undefined && running.child.process.exitCode === null) {
      running.child.process.kill('SIGINT');
      await running.child.exited;
    }
    running = undefined;
  });
  after(removeSites);

  it("passes text, binary, ping/pong and the function's close code through, each connection with fresh common headers", async () => {
    running = await front(site(60));
    const client = await connect(`${running.ws}/echo`, { 'x-fc-request-id': 'forged-by-the-client' });
    const id = client.requestId!;
    expect(id).to.match(/^[0-9a-f-]{36}$/);
    client.ws.send('héllo');
    expect(await client.next()).to.equal('héllo');
    const bytes = Buffer.from([0, 0xff, 0x80, 10, 13]);
    client.ws.send(bytes, { binary: true });
    expect(Buffer.compare(await client.nextBytes(), bytes)).to.equal(0);
    const big = Buffer.alloc(200_000, 7);
    client.ws.send(big, { binary: true });
    expect(Buffer.compare(await client.nextBytes(), big)).to.equal(0);
    const pong = new Promise<string>((resolve) => client.ws.once('pong', (data) => resolve(String(data))));
    client.ws.ping('ping?');
    expect(await pong).to.equal('ping?');
    client.ws.send('context');
    const context = JSON.parse(await client.next()) as { requestId: string; timeout: number; keyId: string; headers: string[] };
    expect(context).to.include({ requestId: id, timeout: 60 });
    expect(context.keyId).to.be.a('string').and.not.be.empty;
    expect(context.headers).to.include.members(['x-fc-request-id', 'x-fc-control-path', 'x-fc-access-key-id']);
    expect(context.headers).not.to.include.members(['x-fc-access-key-secret', 'x-fc-security-token']);

    client.ws.send('close-me');
    expect(await client.closed).to.equal(4002);
    expect(await summaryOf(running.child, id)).to.match(
      /^FC GET \/echo \(WebSocket\): 101, x-fc-status none, \d+\.\d ms, closed 4002 by the function, /,
    );
    const lines = running.child.stdout.split('\n');
    const start = lines.indexOf(`FC Invoke Start RequestId: ${id}`);
    const end = lines.indexOf(`FC Invoke End RequestId: ${id}`);
    expect(start, running.child.stdout).to.be.above(-1);
    expect(lines.slice(start, end).filter((line) => line.includes(` ${id} [INFO] `))).to.have.length(2); // open, closed 4002
  });

  it("closes the connection with 1006 at the function's timeout, as FC does", async () => {
    running = await front(site(1));
    const opened = Date.now();
    const client = await connect(`${running.ws}/echo`);
    const id = client.requestId!;
    expect(await client.closed).to.equal(1006);
    expect(Date.now() - opened).to.be.within(900, 3000);
    expect(await summaryOf(running.child, id)).to.match(/closed 1006 at the function's timeout \(1 s\), as FC does, RequestId: /);
    await running.child.waitFor(new RegExp(`^\\S+ ${escapeRegExp(id)} \\[INFO\\] closed 1006$`));
    await running.child.waitFor(new RegExp(`^FC Invoke End RequestId: ${escapeRegExp(id)}$`));
  });

  it('Ctrl-C: the runtime closes the open connections with 1001 (going away) and their lines are printed before the stop', async () => {
    running = await front(site(60));
    const client = await connect(`${running.ws}/echo`);
    const id = client.requestId!;
    running.child.process.kill('SIGINT');
    expect(await client.closed).to.equal(1001);
    expect(await running.child.exited).to.equal(0);
    const lines = running.child.stdout.split('\n');
    const end = lines.indexOf(`FC Invoke End RequestId: ${id}`);
    const summary = lines.findIndex(
      (line) => line.startsWith('FC GET /echo (WebSocket): 101, ') && line.includes('closed 1001 by the function'),
    );
    expect(end, running.child.stdout).to.be.above(-1);
    expect(summary).to.be.above(end);
    expect(lines.indexOf('fc-runtime local: stopped.')).to.be.above(summary);
  });

  it("passes the runtime's refusal of an upgrade back as it is", async () => {
    running = await front(site(60));
    const error = await connect(`${running.ws}/elsewhere`).catch((e: unknown) => e as Error);
    expect(error).to.be.instanceOf(Error);
    expect(await running.child.waitFor(/^FC GET \/elsewhere \(WebSocket\): /)).to.match(/: 400, .* not upgraded, RequestId: /);
  });
});
