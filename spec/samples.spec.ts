import { expect } from 'chai';
import { join } from 'path';
import { run, type Child } from './helpers/child';
import { fcHeaders, freePorts } from './helpers/apps';

const root = join(__dirname, '..', '..');

describe('samples/quickstart (npm start)', () => {
  let child: Child;
  let base: string;

  before(async () => {
    const [port] = await freePorts(1);
    child = run(join(root, 'samples', 'quickstart', 'server.js'), { FC_CUSTOM_LISTEN_PORT: String(port) });
    await child.waitFor(/^FunctionCompute express runtime inited\.$/);
    base = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    child.process.kill('SIGTERM');
    expect(await child.exited).to.equal(0);
  });

  it('serves its home page as an HTTP invocation, with the log line tagged by the request id', async () => {
    const headers = fcHeaders();
    const res = await fetch(`${base}/`, { headers });
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-fc-status')).to.equal('200');
    expect(await res.text()).to.contain(`Request ${headers['x-fc-request-id']}`);
    const id = headers['x-fc-request-id'];
    await child.waitFor(new RegExp(`^FC Invoke End RequestId: ${id}$`));
    const lines = child.stdout.split('\n');
    const start = lines.indexOf(`FC Invoke Start RequestId: ${id}`);
    expect(start).to.be.greaterThan(-1);
    expect(lines[start + 1]).to.match(new RegExp(`^\\S+Z ${id} \\[INFO\\] home page for `));
  });

  it('answers an event through its invoke handler', async () => {
    const headers = fcHeaders({ 'x-fc-control-path': '/invoke' });
    const res = await fetch(`${base}/invoke`, { method: 'POST', headers, body: 'ping' });
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ received: 'ping', requestId: headers['x-fc-request-id'] });
  });
});
