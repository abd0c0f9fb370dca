import { expect } from 'chai';
import { connect, type Client } from '../helpers/websocket';
import { startLocal, type LocalFc } from './local-fc';

interface Said {
  type: string;
  name: string;
  text?: string;
}

/** The next chat event a client receives that is not a `joined`/`left` note about someone else. */
async function nextOf(client: Client, type: string): Promise<Said> {
  for (;;) {
    const said = JSON.parse(await client.next()) as Said;
    if (said.type === type) return said;
  }
}

describe('samples/chat through the local Function Compute', function () {
  this.timeout(30_000);
  let local: LocalFc;
  before(async () => {
    local = await startLocal('chat');
  });
  after(async () => {
    expect(await local.stop()).to.equal(0);
  });

  it('serves the page', async () => {
    const res = await fetch(`${local.base}/`);
    expect(res.status).to.equal(200);
    expect(await res.text()).to.contain('<title>Chat</title>');
  });

  it("two clients see each other's messages; one invocation per connection, each message logged with its connection's id", async () => {
    const ws = local.base.replace('http:', 'ws:');
    const ann = await connect(`${ws}/chat?name=ann`);
    expect(await nextOf(ann, 'joined')).to.deep.equal({ type: 'joined', name: 'ann' });
    const bob = await connect(`${ws}/chat?name=bob`);
    expect(await nextOf(bob, 'joined')).to.deep.equal({ type: 'joined', name: 'bob' });
    expect(await nextOf(ann, 'joined')).to.deep.equal({ type: 'joined', name: 'bob' });

    ann.ws.send('hi bob');
    const fromAnn = { type: 'message', name: 'ann', text: 'hi bob' };
    expect(await nextOf(bob, 'message')).to.deep.equal(fromAnn);
    expect(await nextOf(ann, 'message')).to.deep.equal(fromAnn); // everyone's, one's own included
    bob.ws.send('hi ann');
    expect(await nextOf(ann, 'message')).to.deep.equal({ type: 'message', name: 'bob', text: 'hi ann' });
    // The front passes control frames through: the runtime's ws answers the ping.
    const pong = new Promise<string>((resolve) => ann.ws.once('pong', (data) => resolve(String(data))));
    ann.ws.ping('are you there');
    expect(await pong).to.equal('are you there');

    const [annId, bobId] = [ann.requestId!, bob.requestId!];
    expect(annId).to.be.a('string').and.not.equal(bobId);
    bob.ws.close(1000);
    expect(await bob.closed).to.equal(1000);
    expect(await nextOf(ann, 'left')).to.deep.equal({ type: 'left', name: 'bob' });
    ann.ws.close(4001, 'bye');
    expect(await ann.closed).to.equal(4001);

    const annLines = (await local.linesOf(annId)).map((line) => line.replace(/^\S+ \S+ \[INFO\] /, ''));
    const bobLines = (await local.linesOf(bobId)).map((line) => line.replace(/^\S+ \S+ \[INFO\] /, ''));
    expect(annLines).to.deep.equal(['ann joined (1 online)', 'ann says: hi bob', 'ann left (4001)']);
    expect(bobLines).to.deep.equal(['bob joined (2 online)', 'bob says: hi ann', 'bob left (1000)']);
    expect(await local.summaryOf(annId)).to.match(
      /^FC GET \/chat\?name=ann \(WebSocket\): 101, x-fc-status none, \d+\.\d ms, closed 4001 by the client, /,
    );
    expect(await local.summaryOf(bobId)).to.match(/^FC GET \/chat\?name=bob \(WebSocket\): 101, .* closed 1000 by the client, /);
  });
});
