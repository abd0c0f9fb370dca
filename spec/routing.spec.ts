import { expect } from 'chai';
import type { Server } from 'http';
import request from 'supertest';
import { bareApp, close, expressFlavours, fcHeaders, listen } from './helpers/apps';
import { recordOutput } from './helpers/output';

describe('routing by x-fc-control-path', () => {
  const output = recordOutput();

  for (const flavour of expressFlavours) {
    describe(flavour.name, () => {
      let server: Server;
      before(async () => {
        server = await listen(
          flavour.app({ invoke: async (event) => `event:${event.toString()}` }, (app) => {
            app.all('/invoke', (req, res) => res.send(`app route ${req.method} /invoke`));
            app.all('/initialize', (_req, res) => res.send('app route /initialize'));
            app.get('/pre-stop', (_req, res) => res.send('app route /pre-stop'));
            app.get('/page', (_req, res) => res.send('page'));
          }),
        );
      });
      after(() => close(server));

      it('sends x-fc-control-path: /invoke to the event handler', async () => {
        const res = await request(server)
          .post('/invoke')
          .set(fcHeaders({ 'x-fc-control-path': '/invoke' }))
          .send('hi')
          .expect(200);
        expect(res.text).to.equal('event:hi');
      });

      it('sends /http-invoke traffic to the app, even on a path named /invoke', async () => {
        const res = await request(server).post('/invoke').set(fcHeaders()).send('hi').expect(200);
        expect(res.text).to.equal('app route POST /invoke');
      });

      it('treats a header-less POST /invoke with x-fc-request-id as an event', async () => {
        const headers = fcHeaders();
        delete headers['x-fc-control-path'];
        const res = await request(server).post('/invoke').set(headers).send('x').expect(200);
        expect(res.text).to.equal('event:x');
      });

      it('treats a header-less GET /pre-stop with x-fc-request-id as the lifecycle hook', async () => {
        const headers = fcHeaders();
        delete headers['x-fc-control-path'];
        const res = await request(server).get('/pre-stop').set(headers).expect(200);
        expect(res.text).to.equal('');
        expect(res.headers['x-fc-status']).to.equal('200');
      });

      it('gives the app POST /invoke without x-fc-request-id: a plain site request', async () => {
        const res = await request(server).post('/invoke').send('x').expect(200);
        expect(res.text).to.equal('app route POST /invoke');
      });

      it("gives the app header-less control-looking requests that are not exactly FC's", async () => {
        const headers = fcHeaders();
        delete headers['x-fc-control-path'];
        await request(server).get('/invoke').set(headers).expect(200, 'app route GET /invoke');
        await request(server).post('/invoke?x=1').set(headers).expect(200, 'app route POST /invoke');
        await request(server).post('/initialize').send('x').expect(200, 'app route /initialize');
      });

      it('answers an unknown control path with 400 and x-fc-status 404', async () => {
        const res = await request(server)
          .post('/x')
          .set(fcHeaders({ 'x-fc-control-path': '/bogus' }))
          .expect(400);
        expect(res.headers['x-fc-status']).to.equal('404');
        expect(res.body.errorType).to.equal('UnknownControlPath');
        expect(res.body.errorMessage).to.contain('/bogus');
      });

      it('answers a control request with the wrong method with 405, naming the right one', async () => {
        const res = await request(server)
          .get('/invoke')
          .set(fcHeaders({ 'x-fc-control-path': '/invoke' }))
          .expect(405);
        expect(res.headers.allow).to.equal('POST');
        expect(res.headers['x-fc-status']).to.equal('404');
        expect(res.body.errorMessage).to.equal('/invoke takes POST, not GET.');
        expect(output().stdout).to.match(/\[ERROR\] MethodNotAllowed: \/invoke takes POST, not GET\./);
      });
    });
  }

  describe('a bare http handler', () => {
    let server: Server;
    before(async () => {
      server = await listen(bareApp({ invoke: () => 'event' }, (req, res) => res.end(`app ${String(req.url)}`)));
    });
    after(() => close(server));

    it('routes events to invoke and HTTP to the handler', async () => {
      await request(server)
        .post('/invoke')
        .set(fcHeaders({ 'x-fc-control-path': '/invoke' }))
        .expect(200, 'event');
      await request(server).get('/page').set(fcHeaders()).expect(200, 'app /page');
    });
  });
});
