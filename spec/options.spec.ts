import { expect } from 'chai';
import { createNamespace, destroyNamespace } from 'cls-hooked';
import express from 'express';
import type { IncomingMessage, Server, ServerResponse } from 'http';
import request from 'supertest';
import { inspect } from 'util';
import { fcRuntime, type Options } from '../lib';
import { close, expressFlavours, fcHeaders, listen } from './helpers/apps';
import { recordOutput } from './helpers/output';

/** The error fcRuntime(options) throws, or undefined if it accepts them. */
function errorOf(options: unknown): unknown {
  try {
    fcRuntime(options as Options);
    return undefined;
  } catch (error) {
    return error;
  }
}

function expectTypeError(error: unknown, ...mentions: string[]): void {
  expect(error).to.be.instanceOf(TypeError);
  for (const mention of mentions) expect((error as Error).message).to.include(mention);
}

const noop = () => undefined;

/** Runs `fn` with env EXPRESS_FC_LOG_LEVEL set to `value`, then restores it. */
function withLogLevelEnv<T>(value: string, fn: () => T): T {
  const saved = process.env.EXPRESS_FC_LOG_LEVEL;
  process.env.EXPRESS_FC_LOG_LEVEL = value;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env.EXPRESS_FC_LOG_LEVEL;
    else process.env.EXPRESS_FC_LOG_LEVEL = saved;
  }
}

describe('fcRuntime(options)', () => {
  const output = recordOutput();

  const namespaceName = 'fc-options-spec';
  before(() => createNamespace(namespaceName));
  after(() => destroyNamespace(namespaceName));

  /** Every option of SPEC.md's table with a value of the right type (invoke and eventPath exclude each other). */
  function goodOptions(): Options {
    return {
      runtime: 'my-site',
      invoke: noop,
      initialize: noop,
      preFreeze: noop,
      preStop: noop,
      limit: '1mb',
      logLevel: 'warn',
      console: false,
      keepCredentialHeaders: true,
      basePath: false,
      isFailure: () => false,
      namespace: createNamespace(namespaceName),
      keepAliveOnCrash: true,
    };
  }

  it('accepts every option with a value of the right type', () => {
    expect(errorOf(goodOptions())).to.equal(undefined);
    expect(errorOf({ ...goodOptions(), invoke: undefined, eventPath: '/events' })).to.equal(undefined);
    expect(errorOf({})).to.equal(undefined);
    expect(errorOf(undefined)).to.equal(undefined);
  });

  describe('refuses a wrong type with a TypeError naming the option and the value', () => {
    const rows: [keyof Options, unknown][] = [
      ['runtime', 42],
      ['invoke', 'index.handler'],
      ['eventPath', 42],
      ['initialize', true],
      ['preFreeze', 'index.preFreeze'],
      ['preStop', {}],
      ['limit', true],
      ['logLevel', 3],
      ['console', 'yes'],
      ['keepCredentialHeaders', 1],
      ['basePath', 'false'],
      ['isFailure', 500],
      ['namespace', {}],
      ['keepAliveOnCrash', 'true'],
    ];
    for (const [key, bad] of rows) {
      it(`${key}: ${inspect(bad)}`, () => {
        const error = errorOf({ [key]: bad });
        expectTypeError(error, `"${key}"`, inspect(bad, { depth: 0 }));
        expect((error as Error).message).not.to.match(/unknown option/i);
      });
    }
  });

  it('refuses an unknown key, naming it', () => {
    expectTypeError(errorOf({ invokee: noop }), 'invokee');
    expectTypeError(errorOf({ runtime: 'express', loglevel: 'info' }), 'loglevel');
  });

  it('refuses invoke and eventPath together, naming both', () => {
    expectTypeError(errorOf({ invoke: noop, eventPath: '/events' }), 'invoke', 'eventPath');
  });

  it('refuses options that are not an object', () => {
    for (const bad of ['express', 42, true, null, [], noop]) {
      expectTypeError(errorOf(bad), 'options');
    }
  });

  describe('runtime', () => {
    for (const name of ['nodejs18', 'custom']) {
      it(`refuses the official runtime name '${name}'`, () => {
        expectTypeError(errorOf({ runtime: name }), '"runtime"', name);
      });
    }
    for (const name of ['express', 'my-site']) {
      it(`accepts '${name}'`, () => {
        expect(errorOf({ runtime: name })).to.equal(undefined);
      });
    }
  });

  describe('limit', () => {
    for (const good of [1024, '1kb']) {
      it(`accepts ${inspect(good)} and answers an event one byte over it with 413`, async () => {
        const server = await listen(express().use(fcRuntime({ limit: good, invoke: (event) => `${event.length}` })));
        try {
          const headers = fcHeaders({ 'x-fc-control-path': '/invoke' });
          await request(server).post('/invoke').set(headers).send(Buffer.alloc(1024, 'a')).expect(200, '1024');
          const over = fcHeaders({ 'x-fc-control-path': '/invoke' });
          const res = await request(server).post('/invoke').set(over).send(Buffer.alloc(1025, 'a')).expect(413);
          expect(res.headers['x-fc-status']).to.equal('404');
          expect(res.body.errorType).to.equal('EventTooLarge');
          await output().waitFor(new RegExp(`^FC Invoke End RequestId: ${over['x-fc-request-id']}$`));
        } finally {
          await close(server);
        }
      });
    }
    for (const bad of [-1, 'lots', true]) {
      it(`refuses ${inspect(bad)}`, () => {
        expectTypeError(errorOf({ limit: bad }), '"limit"');
      });
    }
  });

  describe('logLevel', () => {
    for (const level of ['debug', 'info', 'warn', 'error']) {
      it(`accepts '${level}'`, () => {
        expect(errorOf({ logLevel: level })).to.equal(undefined);
      });
    }
    it("refuses a name that is no level, such as 'verbose'", () => {
      expectTypeError(errorOf({ logLevel: 'verbose' }), '"logLevel"', 'verbose');
    });
  });

  it('throws naming EXPRESS_FC_LOG_LEVEL when the environment gives a level that does not exist', () => {
    const error = withLogLevelEnv('verbose', () => errorOf(undefined));
    expectTypeError(error, 'EXPRESS_FC_LOG_LEVEL', 'verbose');
  });

  it('does not mutate the options object, at construction or while serving', async () => {
    const given = Object.freeze({ ...goodOptions(), keepAliveOnCrash: false });
    const copy = { ...given };
    let server: Server | undefined;
    try {
      server = await listen(
        express()
          .use(fcRuntime(given))
          .get('/', (_req, res) => res.send('ok')),
      );
      await request(server).get('/').set(fcHeaders()).expect(200, 'ok');
      await request(server)
        .post('/invoke')
        .set(fcHeaders({ 'x-fc-control-path': '/invoke' }))
        .send('x')
        .expect(200);
    } finally {
      if (server) await close(server);
    }
    expect(given).to.deep.equal(copy);
    expect(Object.keys(given)).to.deep.equal(Object.keys(copy));
  });

  describe('mounted by mistake as app.use(fcRuntime)', () => {
    const HINT = 'app.use(fcRuntime())';

    for (const flavour of expressFlavours) {
      it(`${flavour.name}: the request fails with 500 and a TypeError that shows the right call`, async () => {
        let caught: unknown;
        const app = flavour.app(undefined, (app) => {
          app.use(fcRuntime as unknown as express.RequestHandler);
          app.get('/', (_req, res) => res.send('not reached'));
          app.use((error: unknown, _req: express.Request, _res: express.Response, next: express.NextFunction) => {
            caught = error;
            next(error); // on to Express's own error handler
          });
        });
        const server = await listen(app);
        try {
          const headers = fcHeaders();
          await request(server).get('/').set(headers).expect(500);
          expectTypeError(caught, HINT);
          await output().waitFor(new RegExp(`^FC Invoke End RequestId: ${headers['x-fc-request-id']}$`));
        } finally {
          await close(server);
        }
      });
    }

    it('a bare http handler: calling fcRuntime with a real request throws a TypeError that shows the right call', async () => {
      let caught: unknown = 'not called';
      const server = await listen((req: IncomingMessage, res: ServerResponse) => {
        caught = errorOf(req);
        res.end('done');
      });
      try {
        await request(server).get('/').expect(200, 'done');
        expectTypeError(caught, HINT);
      } finally {
        await close(server);
      }
    });
  });
});
