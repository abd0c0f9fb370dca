import { expect } from 'chai';
import type { Express } from 'express';
import request from 'supertest';
import { run } from '../helpers/child';
import { recordOutput } from '../helpers/output';
import { loadSample, logLine, sampleDir, startLocal, type LocalFc } from './local-fc';

/** The `name=value` pairs of a response's Set-Cookie headers, as a browser would send them back. */
function cookiesOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
}

function form(fields: Record<string, string>): { method: string; headers: Record<string, string>; body: string; redirect: 'manual' } {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  };
}

describe('samples/classic-site: an Express 4 site moved with only a bootstrap', () => {
  describe('on a VM (its own server.js)', () => {
    const output = recordOutput();
    const app = loadSample('classic-site', 'server.js') as Express;

    it('renders its home page from EJS views, with the guestbook and its form', async () => {
      const res = await request(app)
        .get('/')
        .expect(200)
        .expect('content-type', /text\/html/);
      expect(res.text).to.contain('<title>Sign the guestbook · Guestbook</title>');
      expect(res.text).to.contain('<strong>Ada</strong>: <span class="message">First!</span>');
      expect(res.text).to.match(/<form method="post" action="\/sign">/);
      expect(output().stdout).to.contain('GET /');
    });

    it('serves its static files', async () => {
      await request(app)
        .get('/style.css')
        .expect(200)
        .expect('content-type', /text\/css/);
      await request(app)
        .get('/logo.svg')
        .expect(200)
        .expect('content-type', /image\/svg\+xml/);
    });

    it('signs the guestbook with a form post, then greets the visitor from the cookie session', async () => {
      const agent = request.agent(app);
      const posted = await agent
        .post('/sign')
        .type('form')
        .send({ name: 'Grace', message: 'Hello from a VM' })
        .expect(303)
        .expect('location', '/');
      expect((posted.headers['set-cookie'] as unknown as string[]).map((c) => c.split('=')[0])).to.deep.equal([
        'guestbook',
        'guestbook.sig',
      ]);
      const home = await agent.get('/').expect(200);
      expect(home.text).to.contain('Thank you for signing, Grace!');
      expect(home.text).to.contain('<strong>Grace</strong>: <span class="message">Hello from a VM</span>');
      expect(home.text).to.contain('Welcome back, <span class="visitor">Grace</span>');
      const again = await agent.get('/about').expect(200);
      expect(again.text).not.to.contain('Thank you for signing');
      expect(again.text).to.match(/Pages seen this session: <span class="visits">3<\/span>/);
    });

    it('answers an incomplete form with 422, the error and the fields kept (escaped)', async () => {
      const res = await request(app).post('/sign').type('form').send({ name: '<b>Eve</b>', message: '' }).expect(422);
      expect(res.text).to.contain('Please give your name and a message.');
      expect(res.text).to.contain('value="&lt;b&gt;Eve&lt;/b&gt;"');
    });

    it('forgets the visitor', async () => {
      const agent = request.agent(app);
      await agent.post('/sign').type('form').send({ name: 'Ivan', message: 'hi' }).expect(303);
      await agent.post('/forget').expect(303);
      const home = await agent.get('/').expect(200);
      expect(home.text).not.to.contain('Welcome back');
    });

    it('has a 404 page and an error page that shows no stack', async () => {
      const missing = await request(app).get('/no/such/page').expect(404);
      expect(missing.text).to.contain('There is nothing at <code>/no/such/page</code>');
      const failed = await request(app).get('/boom').expect(500);
      expect(failed.text).to.contain('Something went wrong');
      expect(failed.text).not.to.contain('at ');
      expect(output().stderr).to.contain('Error: The guestbook broke on purpose');
    });

    it('listens where it is asked when run with node server.js', async () => {
      const child = run(`${sampleDir('classic-site')}/server.js`, { PORT: '0' });
      try {
        const line = await child.waitFor(/^Guestbook listening on port \d+$/);
        const port = Number(/\d+$/.exec(line)![0]);
        const res = await fetch(`http://127.0.0.1:${port}/about`);
        expect(res.status).to.equal(200);
        expect(res.headers.get('x-fc-status')).to.equal(null);
      } finally {
        child.process.kill('SIGTERM');
        await child.exited;
      }
    });
  });

  describe('on the local Function Compute (fc-runtime local start, its bootstrap)', () => {
    let fc: LocalFc;

    before(async () => {
      fc = await startLocal('classic-site', { SESSION_KEYS: 'spec-session-key' });
    });

    after(async () => {
      // Unset when before() failed.
      await (fc as LocalFc | undefined)?.stop();
    });

    it('starts through node -r express-fc-runtime/register: the cold-start line, then its own listen callback', async () => {
      await fc.child.waitFor(/^FunctionCompute express runtime inited\.$/);
      await fc.child.waitFor(/^Guestbook listening on port \d+$/);
    });

    it('shows the home page, with both session cookies, its console line inside the invocation', async () => {
      const res = await fetch(`${fc.base}/`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('x-fc-status')).to.equal('200');
      expect(res.headers.get('content-type')).to.match(/^text\/html/);
      expect(res.headers.getSetCookie().map((c) => c.split('=')[0])).to.deep.equal(['guestbook', 'guestbook.sig']);
      expect(await res.text()).to.contain('<title>Sign the guestbook · Guestbook</title>');
      const id = fc.requestIdOf(res);
      const lines = await fc.linesOf(id);
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(logLine(id, 'INFO', 'GET /'));
      expect(await fc.summaryOf(id)).to.match(/^FC GET \/: 200, x-fc-status 200, [\d.]+ ms, .*RequestId: /);
    });

    it('serves the stylesheet and the logo', async () => {
      const css = await fetch(`${fc.base}/style.css`);
      expect(css.status).to.equal(200);
      expect(css.headers.get('content-type')).to.match(/^text\/css/);
      expect(await css.text()).to.contain('font: 16px/1.5 system-ui');
      const logo = await fetch(`${fc.base}/logo.svg`);
      expect(logo.status).to.equal(200);
      expect(Buffer.from(await logo.arrayBuffer()).toString()).to.match(/^<svg /);
      await fc.invocation(fc.requestIdOf(css));
      await fc.invocation(fc.requestIdOf(logo));
    });

    it('signs the guestbook: form post, 303, then the session greets the visitor once with the flash', async () => {
      const posted = await fetch(`${fc.base}/sign`, form({ name: 'Grace', message: 'Hello from Function Compute' }));
      expect(posted.status).to.equal(303);
      expect(posted.headers.get('location')).to.equal('/');
      expect(posted.headers.get('x-fc-status')).to.equal('200');
      const cookie = cookiesOf(posted);
      expect(cookie).to.match(/^guestbook=[^;]+; guestbook\.sig=/);
      const postId = fc.requestIdOf(posted);
      expect((await fc.linesOf(postId))[0]).to.match(logLine(postId, 'INFO', 'POST /sign'));

      const home = await fetch(`${fc.base}/`, { headers: { cookie } });
      const page = await home.text();
      expect(home.status).to.equal(200);
      expect(page).to.contain('<p class="flash" role="status">Thank you for signing, Grace!</p>');
      expect(page).to.contain('<strong>Grace</strong>: <span class="message">Hello from Function Compute</span>');
      expect(page).to.contain('Welcome back, <span class="visitor">Grace</span>');

      const again = await fetch(`${fc.base}/about`, { headers: { cookie: cookiesOf(home) } });
      const about = await again.text();
      expect(about).not.to.contain('Thank you for signing');
      expect(about).to.match(/Pages seen this session: <span class="visits">3<\/span>/);
      expect(fc.requestIdOf(again)).not.to.equal(fc.requestIdOf(home));
      await fc.invocation(fc.requestIdOf(home));
      await fc.invocation(fc.requestIdOf(again));
    });

    it('answers an incomplete form with 422, which FC counts as a success', async () => {
      const res = await fetch(`${fc.base}/sign`, form({ name: 'Eve', message: ' ' }));
      expect(res.status).to.equal(422);
      expect(res.headers.get('x-fc-status')).to.equal('200');
      expect(await res.text()).to.contain('Please give your name and a message.');
      await fc.invocation(fc.requestIdOf(res));
    });

    it('shows its 404 page', async () => {
      const res = await fetch(`${fc.base}/no/such/page`);
      expect(res.status).to.equal(404);
      expect(res.headers.get('x-fc-status')).to.equal('200');
      expect(await res.text()).to.contain('Page not found');
      await fc.invocation(fc.requestIdOf(res));
    });

    it('shows its error page; FC counts the 500 as a failure and the stack is logged with the request id', async () => {
      const res = await fetch(`${fc.base}/boom`);
      expect(res.status).to.equal(500);
      expect(res.headers.get('x-fc-status')).to.equal('404');
      const body = await res.text();
      expect(body).to.contain('Something went wrong');
      expect(body).not.to.contain('broke on purpose');
      const id = fc.requestIdOf(res);
      const lines = await fc.linesOf(id);
      expect(lines[0]).to.match(logLine(id, 'INFO', 'GET /boom'));
      expect(lines[1]).to.match(logLine(id, 'ERROR', 'Error: The guestbook broke on purpose'));
      expect(await fc.summaryOf(id)).to.match(/^FC GET \/boom: 500, x-fc-status 404, .* \(failed\)$/);
    });

    it('stops on Ctrl-C with SIGTERM alone: s.yaml configures no preStop, so FC would send no /pre-stop', async () => {
      expect(await fc.stop()).to.equal(0);
      const stdout = fc.child.stdout;
      expect(stdout).to.match(/^fc-runtime local: SIGINT: SIGTERM \(Ctrl-C again to kill it at once\)\.$/m);
      expect(stdout).to.not.match(/^FC PreStop Start/m);
      expect(stdout).to.match(/^fc-runtime local: stopped\.$/m);
    });
  });
});
