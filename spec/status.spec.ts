import { expect } from 'chai';
import { createHash } from 'crypto';
import express from 'express';
import express4 from 'express4';
import type { IncomingMessage, Server, ServerResponse } from 'http';
import request from 'supertest';
import { close, expressFlavours, fcHeaders, listen, stacksServing } from './helpers/apps';
import { recordOutput } from './helpers/output';

type Route = (req: IncomingMessage, res: ServerResponse) => void;

function text(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'text/plain');
  res.end(body);
}

/** Answers written with Node's own API, the same under every stack. */
const ROUTES: Record<string, Route> = {
  '/ok': (_req, res) => text(res, 200, 'ok'),
  '/created': (_req, res) => text(res, 201, 'created'),
  '/redirect': (_req, res) => {
    res.writeHead(302, { location: '/ok' });
    res.end();
  },
  '/status/500': (_req, res) => text(res, 500, 'app 500'),
  '/status/502': (_req, res) => text(res, 502, 'app 502'),
  '/status/503': (_req, res) => text(res, 503, 'app 503'),
  '/own-404-on-200': (_req, res) => {
    res.setHeader('x-fc-status', '404');
    text(res, 200, 'failed as far as FC goes');
  },
  '/own-200-on-500': (_req, res) => {
    res.setHeader('x-fc-status', '200');
    text(res, 500, 'fine as far as FC goes');
  },
  '/write-head-201': (_req, res) => {
    res.writeHead(201, { 'content-type': 'text/plain' });
    res.end('written head');
  },
  '/write-head-503': (_req, res) => {
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end('written head');
  },
  '/end-only': (_req, res) => res.end('end only'),
  '/end-only-500': (_req, res) => {
    res.statusCode = 500;
    res.end();
  },
  '/streamed': (_req, res) => {
    res.write('one,');
    res.write('two,');
    setImmediate(() => res.end('three'));
  },
};

describe('x-fc-status', () => {
  const output = recordOutput();

  const stacks = stacksServing(
    (app) => {
      for (const [path, route] of Object.entries(ROUTES)) app.all(path, route);
      app.get('/next-error', (_req, _res, next) => {
        next(new Error('passed to next'));
      });
      app.get('/throws', () => {
        throw new Error('thrown by a route');
      });
    },
    (req, res) => {
      const route = ROUTES[req.url!.split('?')[0]] as Route | undefined;
      if (route) route(req, res);
      else text(res, 404, 'no such page');
    },
  );

  for (const stack of stacks) {
    describe(stack.name, () => {
      let server: Server;
      before(async () => {
        server = await listen(
          stack.handler({
            invoke: (event) => `event ${event.length}`,
            initialize: () => undefined,
            preFreeze: () => undefined,
            preStop: () => undefined,
          }),
        );
      });
      after(() => close(server));

      it("says 200 on the app's 200, 201 and 302 answers", async () => {
        const ok = await request(server).get('/ok').set(fcHeaders()).expect(200, 'ok');
        const created = await request(server).post('/created').set(fcHeaders()).expect(201, 'created');
        const moved = await request(server).get('/redirect').set(fcHeaders()).redirects(0).expect(302);
        expect(moved.headers.location).to.equal('/ok');
        for (const res of [ok, created, moved]) expect(res.headers['x-fc-status']).to.equal('200');
      });

      it('says 200 on a page not found: the app answered', async () => {
        const res = await request(server).get('/no/such/page').set(fcHeaders()).expect(404);
        expect(res.headers['x-fc-status']).to.equal('200');
      });

      it("says 404 on the app's 500, 502 and 503 answers, and leaves their status alone", async () => {
        for (const status of [500, 502, 503]) {
          const res = await request(server).get(`/status/${status}`).set(fcHeaders()).expect(status, `app ${status}`);
          expect(res.headers['x-fc-status'], String(status)).to.equal('404');
        }
      });

      if (stack.express) {
        it("says 404 for an error passed to next(err), with Express's 500 left as it is", async () => {
          const headers = fcHeaders();
          const res = await request(server).get('/next-error').set(headers).expect(500);
          expect(res.headers['x-fc-status']).to.equal('404');
          // Express's final handler logs the error: with this request's id, as an ERROR line.
          await output().waitFor(new RegExp(`^\\S+ ${headers['x-fc-request-id']} \\[ERROR\\] Error: passed to next$`));
        });

        it("says 404 for a route that throws, with Express's 500 left as it is", async () => {
          const headers = fcHeaders();
          const res = await request(server).get('/throws').set(headers).expect(500);
          expect(res.headers['x-fc-status']).to.equal('404');
          // Express's final handler logs the error: with this request's id, as an ERROR line.
          await output().waitFor(new RegExp(`^\\S+ ${headers['x-fc-request-id']} \\[ERROR\\] Error: thrown by a route$`));
        });
      }

      it('keeps an x-fc-status the app set itself', async () => {
        const failed = await request(server).get('/own-404-on-200').set(fcHeaders()).expect(200, 'failed as far as FC goes');
        expect(failed.headers['x-fc-status']).to.equal('404');
        const fine = await request(server).get('/own-200-on-500').set(fcHeaders()).expect(500, 'fine as far as FC goes');
        expect(fine.headers['x-fc-status']).to.equal('200');
      });

      it('is set on answers written with res.writeHead directly', async () => {
        const created = await request(server).get('/write-head-201').set(fcHeaders()).expect(201, 'written head');
        expect(created.headers['x-fc-status']).to.equal('200');
        const unavailable = await request(server).get('/write-head-503').set(fcHeaders()).expect(503, 'written head');
        expect(unavailable.headers['x-fc-status']).to.equal('404');
      });

      it('is set on answers written with res.end only', async () => {
        const ok = await request(server).get('/end-only').set(fcHeaders()).expect(200, 'end only');
        expect(ok.headers['x-fc-status']).to.equal('200');
        const failed = await request(server).get('/end-only-500').set(fcHeaders()).expect(500);
        expect(failed.headers['x-fc-status']).to.equal('404');
      });

      it('is set on streamed answers', async () => {
        const res = await request(server).get('/streamed').set(fcHeaders()).expect(200, 'one,two,three');
        expect(res.headers['transfer-encoding']).to.equal('chunked');
        expect(res.headers['x-fc-status']).to.equal('200');
      });

      it('is set on HEAD answers', async () => {
        const ok = await request(server).head('/ok').set(fcHeaders()).expect(200);
        expect(ok.headers['x-fc-status']).to.equal('200');
        const failed = await request(server).head('/status/503').set(fcHeaders()).expect(503);
        expect(failed.headers['x-fc-status']).to.equal('404');
      });

      it('is set on the answers to /invoke, /initialize, /pre-freeze and /pre-stop', async () => {
        const event = await request(server)
          .post('/invoke')
          .set(fcHeaders({ 'x-fc-control-path': '/invoke' }))
          .send('abc')
          .expect(200, 'event 3');
        const initialized = await request(server)
          .post('/initialize')
          .set(fcHeaders({ 'x-fc-control-path': '/initialize' }))
          .expect(200);
        const frozen = await request(server)
          .get('/pre-freeze')
          .set(fcHeaders({ 'x-fc-control-path': '/pre-freeze' }))
          .expect(200);
        const stopped = await request(server)
          .get('/pre-stop')
          .set(fcHeaders({ 'x-fc-control-path': '/pre-stop' }))
          .expect(200);
        for (const res of [event, initialized, frozen, stopped]) expect(res.headers['x-fc-status']).to.equal('200');
      });
    });

    describe(`${stack.name} with isFailure`, () => {
      let strict: Server;
      let throwing: Server;
      before(async () => {
        strict = await listen(stack.handler({ isFailure: (_req, res) => res.statusCode >= 400 }));
        throwing = await listen(
          stack.handler({
            isFailure: () => {
              throw new Error('isFailure broke');
            },
          }),
        );
      });
      after(async () => {
        await close(strict);
        await close(throwing);
      });

      it('says 404 on a 404 answer when isFailure counts every status >= 400', async () => {
        const missing = await request(strict).get('/no/such/page').set(fcHeaders()).expect(404);
        expect(missing.headers['x-fc-status']).to.equal('404');
        const ok = await request(strict).get('/ok').set(fcHeaders()).expect(200, 'ok');
        expect(ok.headers['x-fc-status']).to.equal('200');
      });

      it('falls back to the default rule when isFailure throws, and still answers', async () => {
        const ok = await request(throwing).get('/ok').set(fcHeaders()).expect(200, 'ok');
        expect(ok.headers['x-fc-status']).to.equal('200');
        const missing = await request(throwing).get('/no/such/page').set(fcHeaders()).expect(404);
        expect(missing.headers['x-fc-status']).to.equal('200');
        const failed = await request(throwing).get('/status/503').set(fcHeaders()).expect(503, 'app 503');
        expect(failed.headers['x-fc-status']).to.equal('404');
      });
    });
  }

  describe('events re-dispatched with eventPath', () => {
    const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
    const EVENT = Buffer.concat([Buffer.from('binary event:'), Buffer.from(Array.from({ length: 256 }, (_, i) => i))]);

    for (const flavour of expressFlavours) {
      describe(flavour.name, () => {
        const raw = flavour.name === 'Express 4' ? express4.raw : express.raw;
        /** The route answers the status named by an event `status:NNN`, else 200 with what it received. */
        const routes = (app: express.Express) =>
          app.post('/events', raw({ type: () => true }), (req, res) => {
            const body = req.body as Buffer;
            const asked = /^status:(\d{3})$/.exec(body.toString('latin1'));
            res
              .status(asked ? Number(asked[1]) : 200)
              .json({ method: req.method, path: req.path, length: body.length, sha256: sha256(body) });
          });
        let server: Server;
        let throwing: Server;
        before(async () => {
          server = await listen(flavour.app({ eventPath: '/events' }, routes));
          throwing = await listen(
            flavour.app(
              {
                eventPath: '/events',
                isFailure: () => {
                  throw new Error('isFailure broke');
                },
              },
              routes,
            ),
          );
        });
        after(async () => {
          await close(server);
          await close(throwing);
        });

        const sendEvent = (target: Server, event: Buffer | string) =>
          request(target)
            .post('/invoke')
            .set(fcHeaders({ 'x-fc-control-path': '/invoke' }))
            .set('content-type', 'application/octet-stream')
            .send(event);

        it('hands the route the event bytes as POST /events and says 200 on its 200', async () => {
          const res = await sendEvent(server, EVENT).expect(200);
          expect(res.headers['x-fc-status']).to.equal('200');
          expect(res.body).to.deep.equal({ method: 'POST', path: '/events', length: EVENT.length, sha256: sha256(EVENT) });
        });

        it('says 404 when the route answers 400 (events fail from 400 on), leaving the 400', async () => {
          const res = await sendEvent(server, 'status:400').expect(400);
          expect(res.headers['x-fc-status']).to.equal('404');
          expect(res.body.path).to.equal('/events');
        });

        it('says 404 when the route answers 500, leaving the 500', async () => {
          const res = await sendEvent(server, 'status:500').expect(500);
          expect(res.headers['x-fc-status']).to.equal('404');
        });

        it('falls back to the events rule (>= 400) when isFailure throws', async () => {
          const ok = await sendEvent(throwing, 'status:200').expect(200);
          expect(ok.headers['x-fc-status']).to.equal('200');
          const refused = await sendEvent(throwing, 'status:400').expect(400);
          expect(refused.headers['x-fc-status']).to.equal('404');
        });
      });
    }
  });
});
