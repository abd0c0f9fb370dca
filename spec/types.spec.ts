// A consumer's TypeScript, compiled with the suite: a type regression here fails `npm test` at tsc.
import { expect } from 'chai';
import express from 'express';
import type { Server } from 'http';
import request from 'supertest';
import { currentContext, fcRuntime, type serve, type Callback, type FcContext, type LogLevel, type Options } from '../lib';
import { close, fcHeaders, listen } from './helpers/apps';
import { recordOutput } from './helpers/output';

/** true only when A and B are the same type (not merely assignable either way). */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the usual exact-equality test: each T exists only to be compared
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** The consumer's app; built in before(), so that loading this file starts no runtime. */
function typedApp(): express.Express {
  const app = express();
  app.use(
    fcRuntime({
      runtime: 'typed-site',
      limit: '1mb',
      logLevel: 'info',
      invoke: async (event, context) => {
        const eventIsBuffer: Equals<typeof event, Buffer> = true;
        const contextIsFcContext: Equals<typeof context, FcContext> = true;
        const memoryIsNumber: Equals<typeof context.function.memory, number | undefined> = true;
        const timeoutIsNumber: Equals<typeof context.function.initializationTimeout, number | undefined> = true;
        const requestIdIsString: Equals<typeof context.requestId, string> = true;
        const secretIsString: Equals<typeof context.credentials.accessKeySecret, string | undefined> = true;
        context.logger.info(
          'typed event',
          eventIsBuffer,
          contextIsFcContext,
          memoryIsNumber,
          timeoutIsNumber,
          requestIdIsString,
          secretIsString,
        );
        return { length: event.length, memory: context.function.memory ?? null, requestId: context.requestId };
      },
      // eslint-disable-next-line @typescript-eslint/no-unused-vars -- context is read by its type only: that is the check
      initialize: async (context) => {
        const hasRegion: Equals<typeof context.region, string | undefined> = true;
        return hasRegion;
      },
      preStop: (context, callback) => {
        const callbackIsFcCallback: Equals<typeof callback, Callback> = true;
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- always true where it compiles; used so the check is not an unused variable
        callback(null, callbackIsFcCallback && context.requestId);
      },
      isFailure: (_req, res) => res.statusCode >= 400,
    }),
  );

  app.get('/typed', (req, res) => {
    const fcIsOptional: Equals<typeof req.fc, FcContext | undefined> = true;
    const requestId = req.fc?.requestId;
    const requestIdIsString: Equals<[typeof requestId, NonNullable<typeof req.fc>['requestId']], [string | undefined, string]> = true;
    const fromAnywhere = currentContext();
    const currentIsOptional: Equals<typeof fromAnywhere, FcContext | undefined> = true;
    res.json({ requestId, current: fromAnywhere?.requestId, checks: [fcIsOptional, requestIdIsString, currentIsOptional] });
  });
  return app;
}

// FC's classic callback style type-checks too.
const classic: Options = {
  invoke: (event, _context, callback) => {
    callback(null, event.toString('utf8'));
  },
};

// serve() takes an Express app and gives back the http.Server; it is only type-checked here (it would bind 0.0.0.0:9000).
const serveReturnsServer: Equals<ReturnType<typeof serve>, Server> = true;
const serveArguments: Parameters<typeof serve> = [express(), { port: 9000, host: '0.0.0.0', runtime: 'typed-site', drainTimeout: 5000 }];

// What must not compile.
const logLevels: LogLevel[] = ['debug', 'info', 'warn', 'error'];
// @ts-expect-error 'verbose' is no LogLevel
const badLevel: Options = { logLevel: 'verbose' };
// @ts-expect-error unknown options are refused by the type too
const unknownKey: Options = { invokee: () => undefined };
// @ts-expect-error memory is a number, not a string
const memoryAsString: string = undefined as unknown as FcContext['function']['memory'];

describe('the published types', () => {
  const output = recordOutput();

  let server: Server;
  before(async () => {
    server = await listen(typedApp());
  });
  after(() => close(server));

  it('type-check a consumer app; its values are what they claim', () => {
    expect(serveReturnsServer).to.equal(true);
    expect(serveArguments[0]).to.be.a('function');
    expect(classic.invoke).to.be.a('function');
    expect(logLevels).to.have.length(4);
    expect([badLevel, unknownKey, memoryAsString]).to.have.length(3);
  });

  it('serve the typed app: a route reads req.fc and currentContext()', async () => {
    const headers = fcHeaders();
    const res = await request(server).get('/typed').set(headers).expect(200);
    expect(res.body).to.deep.equal({
      requestId: headers['x-fc-request-id'],
      current: headers['x-fc-request-id'],
      checks: [true, true, true],
    });
  });

  it('serve the typed app: invoke gets a Buffer and a context with a numeric memory', async () => {
    const headers = fcHeaders({ 'x-fc-control-path': '/invoke', 'x-fc-function-memory': '256' });
    const res = await request(server).post('/invoke').set(headers).send('four').expect(200);
    expect(res.body).to.deep.equal({ length: 4, memory: 256, requestId: headers['x-fc-request-id'] });
    expect(await output().waitFor(/\[INFO\] typed event/)).to.include(headers['x-fc-request-id']);
  });
});
