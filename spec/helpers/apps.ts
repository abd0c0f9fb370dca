// App factories and FC request builders shared by the specs.
import express from 'express';
import express4 from 'express4';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import { fcRuntime, type Options } from '../../lib';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
type Setup = (app: express.Express) => void;

/** The stacks every behaviour runs against. */
export interface Flavour {
  name: string;
  /** An app with fcRuntime(options) mounted first and `routes` added after it. */
  app(options?: Options, routes?: Setup): Handler;
}

export const expressFlavours: Flavour[] = [
  {
    name: 'Express 5',
    app(options, routes) {
      const app = express();
      app.use(fcRuntime(options));
      routes?.(app);
      return app;
    },
  },
  {
    name: 'Express 4',
    app(options, routes) {
      const app = express4() as unknown as express.Express;
      app.use(fcRuntime(options));
      routes?.(app);
      return app;
    },
  },
];

/** A bare http handler behind fcRuntime(): `respond` gets what Express's routes would. */
export function bareApp(options: Options | undefined, respond: Handler): Handler {
  const middleware = fcRuntime(options);
  return (req, res) =>
    middleware(req, res, (error) => {
      if (error) {
        res.statusCode = 500;
        res.end((error as Error).toString());
      } else {
        respond(req, res);
      }
    });
}

/** One of the stacks a behaviour of fcRuntime() runs against, with the same routes under each. */
export interface Stack {
  name: string;
  /** An Express app: the behaviours only Express has (next(err), route params) apply. */
  express: boolean;
  /** A handler with fcRuntime(options) in front of the stack's routes. */
  handler(options?: Options): Handler;
}

/**
 * Express 5 and Express 4 with `routes` added after fcRuntime(), and a bare http handler where
 * `respond` answers the same requests with Node's own API.
 */
export function stacksServing(routes: Setup, respond: Handler): Stack[] {
  return [
    ...expressFlavours.map((flavour) => ({
      name: flavour.name,
      express: true,
      handler: (options?: Options) => flavour.app(options, routes),
    })),
    {
      name: 'a bare http handler',
      express: false,
      handler: (options?: Options) => bareApp(options, respond),
    },
  ];
}

/** A real server on 127.0.0.1 and an ephemeral port; supertest takes it as it is. */
export async function listen(handler: Handler): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

export function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

export function urlOf(server: Server): string {
  return `http://127.0.0.1:${portOf(server)}`;
}

export function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * listen() for the tests of the enclosing describe: every server started through the returned
 * function is closed after the test that started it.
 */
export function listenPerTest(): (handler: Handler) => Promise<Server> {
  const servers: Server[] = [];
  afterEach(() => Promise.all(servers.splice(0).map(close)));
  return async (handler) => {
    const server = await listen(handler);
    servers.push(server);
    return server;
  };
}

/** Ports the kernel just handed out (on every interface) and took back: free right now. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.listen(0, '0.0.0.0', resolve))));
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

let counter = 0;

/** A fresh request id per call, unique within the run. */
export function newRequestId(): string {
  return `req-${process.pid}-${++counter}`;
}

/** The common headers FC sends with every request, filled with plausible values. */
export function fcHeaders(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    'x-fc-request-id': newRequestId(),
    'x-fc-access-key-id': 'STS.AKID-example',
    'x-fc-access-key-secret': 'secret-Abc123-example',
    'x-fc-security-token': 'token-Xyz789-example-security-token',
    'x-fc-function-handler': 'index.handler',
    'x-fc-function-memory': '512',
    'x-fc-function-initializer': 'index.initializer',
    'x-fc-initialization-timeout': '30',
    'x-fc-instance-lifecycle-pre-stop-handler': 'index.preStop',
    'x-fc-instance-lifecycle-pre-freeze-handler': 'index.preFreeze',
    'x-fc-region': 'cn-hangzhou',
    'x-fc-account-id': '1234567890',
    'x-fc-qualifier': 'LATEST',
    'x-fc-version-id': '1',
    'x-fc-function-name': 'site',
    'x-fc-service-name': 'web',
    'x-fc-service-logproject': 'logs',
    'x-fc-service-logstore': 'fc-logs',
    'x-fc-control-path': '/http-invoke',
    ...overrides,
  };
}
