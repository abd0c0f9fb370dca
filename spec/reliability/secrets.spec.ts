// Secrets, property-based: random access key secrets and tokens, logged every way an app can, never reach stdout or stderr.
import { expect } from 'chai';
import type express from 'express';
import fc from 'fast-check';
import { Agent, type Server } from 'http';
import { logger, type Options } from '../../lib';
import { close, expressFlavours, fcHeaders, listen, portOf } from '../helpers/apps';
import { withEnv } from '../helpers/env';
import { call } from '../helpers/http';
import { recordOutput } from '../helpers/output';
import { deferred, waitForEnds } from './helpers';

const RUNS = 40;

/**
 * Credentials as FC issues them are letters, digits and `+/=`. Each generated one also holds a
 * character that nothing else in the log ever contains (`!`, `^` or `~`), so that finding it in
 * the output means it leaked, not that it happens to spell a word of a stack trace or a header.
 */
const credential = fc
  .tuple(
    fc.string({
      unit: fc.constantFrom(...Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=')),
      minLength: 5,
      maxLength: 60,
    }),
    fc.constantFrom('!', '^', '~'),
    fc.nat(),
  )
  .map(([body, mark, at]) => {
    const cut = at % (body.length + 1);
    return body.slice(0, cut) + mark + body.slice(cut);
  });

/** Every way an app writes what it holds: messages, format strings, errors, objects, headers, raw writes. */
function leakEverything(secret: string, token: string, context: unknown, headers: unknown, rawHeaders: unknown): void {
  console.log('secret is', secret, 'and token is', token);
  console.info(`signing with ${secret}:${token}`);
  console.warn('%s/%s', secret, token);
  console.error(new Error(`authentication failed for ${secret}`));
  console.debug({ nested: { deeper: { secret, token } }, list: [secret, token] });
  console.log(context);
  console.log(JSON.stringify({ secret, token }));
  console.log(headers, rawHeaders);
  logger.warn('exported logger', secret, token);
  process.stdout.write(`raw ${secret} ${token}\n`);
  process.stderr.write(Buffer.from(`buffer ${token} ${secret}\n`));
}

function options(extra: Options = {}): Options {
  return {
    logLevel: 'debug',
    invoke: (event, context) => {
      const { accessKeySecret, securityToken } = context.credentials;
      leakEverything(String(accessKeySecret), String(securityToken), context, event.toString(), []);
      context.logger.error('context logger', accessKeySecret, securityToken);
      throw new Error(`could not sign with ${String(accessKeySecret)} or ${String(securityToken)}`);
    },
    ...extra,
  };
}

/** Holds requests until `count` have arrived. */
const barrier = {
  count: 0,
  seen: 0,
  all: deferred(),
  reset(count: number): void {
    this.count = count;
    this.seen = 0;
    this.all = deferred();
  },
  arrived(): void {
    if (++this.seen === this.count) this.all.resolve();
  },
};

type App = ReturnType<(typeof expressFlavours)[number]['app']>;

function routes(app: express.Express): void {
  app.get('/leak', (req, res) => {
    const { accessKeySecret, securityToken } = req.fc!.credentials;
    leakEverything(String(accessKeySecret), String(securityToken), req.fc, req.headers, req.rawHeaders);
    req.fc!.logger.info('req.fc.logger', accessKeySecret, securityToken);
    res.json({ headers: req.headers, rawHeaders: req.rawHeaders });
  });
  // Logs only once `barrier.count` requests are in flight: each has seen all the others' credentials arrive.
  app.get('/leak-late', (req, res, next) => {
    barrier.arrived();
    barrier.all.promise.then(() => {
      const { accessKeySecret, securityToken } = req.fc!.credentials;
      leakEverything(String(accessKeySecret), String(securityToken), req.fc, req.headers, req.rawHeaders);
      res.send('late');
    }, next);
  });
  app.get('/throw', (req) => {
    throw new Error(`route failed with ${String(req.fc!.credentials.accessKeySecret)} and ${String(req.fc!.credentials.securityToken)}`);
  });
}

describe('reliability: secrets never written (property-based)', function () {
  this.timeout(60_000);
  const output = recordOutput();
  const agent = new Agent({ keepAlive: true, maxSockets: 20 });
  after(() => agent.destroy());

  /** Neither value anywhere in what the process wrote so far in this test. */
  function expectNowhere(...values: string[]): void {
    const { stdout, stderr } = output();
    for (const value of values) {
      expect(stdout.includes(value), `stdout holds ${JSON.stringify(value)}`).to.equal(false);
      expect(stderr.includes(value), `stderr holds ${JSON.stringify(value)}`).to.equal(false);
    }
  }

  for (const flavour of expressFlavours) {
    describe(flavour.name, () => {
      const servers: Server[] = [];
      let plain: Server;
      let keeping: Server;
      before(async () => {
        servers.push((plain = await listen(flavour.app(options(), routes))));
        servers.push((keeping = await listen(flavour.app(options({ keepCredentialHeaders: true }), routes))));
      });
      after(() => Promise.all(servers.splice(0).map(close)));

      /** The requests of one run, with this secret and token in FC's credential headers. */
      async function leakThrough(server: Server, secret: string, token: string, keptHeaders: boolean): Promise<void> {
        const port = portOf(server);
        const headers = () => fcHeaders({ 'x-fc-access-key-secret': secret, 'x-fc-security-token': token });
        const ids: string[] = [];
        const send = async (path: string, extra: Record<string, string> = {}, method = 'GET') => {
          const h = { ...headers(), ...extra };
          ids.push(h['x-fc-request-id']);
          return call(port, { method, path, headers: h, agent, body: method === 'POST' ? `event with ${secret}` : undefined });
        };

        const page = await send('/leak', { 'x-fc-log-type': 'Tail' });
        expect(page.status).to.equal(200);
        const seen = JSON.parse(page.text) as { headers: Record<string, string>; rawHeaders: string[] };
        const tail = Buffer.from(String(page.headers['x-fc-log-result']), 'base64').toString('utf8');
        expect(tail).to.include('[INFO] req.fc.logger');
        for (const value of [secret, token]) expect(tail.includes(value), 'x-fc-log-result holds a credential').to.equal(false);
        if (!keptHeaders) {
          // By default the app never sees them in its headers.
          expect(seen.headers).not.to.have.any.keys('x-fc-access-key-secret', 'x-fc-security-token');
          const raw = JSON.stringify(seen);
          for (const value of [secret, token])
            expect(raw.includes(value), 'req.headers or req.rawHeaders hold a credential').to.equal(false);
        } else {
          expect(seen.headers['x-fc-access-key-secret']).to.equal(secret);
        }
        const failed = await send('/throw');
        expect(failed.status).to.equal(500);
        const event = await send('/invoke', { 'x-fc-control-path': '/invoke' }, 'POST');
        expect(event.status).to.equal(404);
        for (const value of [secret, token]) expect(event.text.includes(value), 'the FC error body holds a credential').to.equal(false);
        await waitForEnds(output(), ids);
        expectNowhere(secret, token);
      }

      it(`never writes a random secret or token from the credential headers, ${RUNS} runs`, async () => {
        await fc.assert(
          fc.asyncProperty(credential, credential, async (secret, token) => {
            await leakThrough(plain, secret, token, false);
          }),
          { numRuns: RUNS },
        );
        expect(output().stdout).to.include('[redacted]');
      });

      it(`never writes them with keepCredentialHeaders: true either, though the app logs its headers, ${RUNS} runs`, async () => {
        await fc.assert(
          fc.asyncProperty(credential, credential, async (secret, token) => {
            await leakThrough(keeping, secret, token, true);
          }),
          { numRuns: RUNS },
        );
      });

      it(`never writes a random secret or token from the FC 3.0 environment, ${RUNS / 4} runs`, async () => {
        await fc.assert(
          fc.asyncProperty(credential, credential, async (secret, token) => {
            const app: App = withEnv(
              { ALIBABA_CLOUD_ACCESS_KEY_SECRET: secret, ALIBABA_CLOUD_SECURITY_TOKEN: token, ALIBABA_CLOUD_ACCESS_KEY_ID: 'AKID-env' },
              () => flavour.app(options(), routes),
            );
            const server = await listen(app);
            try {
              const port = portOf(server);
              const headers = fcHeaders();
              for (const name of ['x-fc-access-key-id', 'x-fc-access-key-secret', 'x-fc-security-token'])
                Reflect.deleteProperty(headers, name);
              const res = await call(port, { path: '/leak', headers });
              expect(res.status).to.equal(200);
              await waitForEnds(output(), [headers['x-fc-request-id']]);
              expectNowhere(secret, token);
            } finally {
              await close(server);
            }
          }),
          { numRuns: RUNS / 4 },
        );
      });

      /** `count` requests in flight at once, each with its own secret and token, each logging once all have arrived. */
      const inFlight = (count: number, runs: number) => async () => {
        await fc.assert(
          fc.asyncProperty(fc.uniqueArray(credential, { minLength: count, maxLength: count }), async (secrets) => {
            const port = portOf(plain);
            const ids: string[] = [];
            barrier.reset(secrets.length);
            await Promise.all(
              secrets.map(async (secret, i) => {
                const headers = fcHeaders({ 'x-fc-access-key-secret': secret, 'x-fc-security-token': `tok${secret}` });
                ids.push(headers['x-fc-request-id']);
                const res = await call(port, { path: '/leak-late', headers, agent });
                expect(res.status, `request ${i}`).to.equal(200);
              }),
            );
            await waitForEnds(output(), ids);
            expectNowhere(...secrets);
          }),
          { numRuns: runs, endOnFailure: true },
        );
      };

      it(
        'never writes the secrets of 8 requests in flight at once, each with its own credentials, logging after all have arrived',
        inFlight(8, 5),
      );

      // More pairs in flight than the 16 secrets redaction once remembered: the oldest leaked.
      it(
        'never writes the secrets of 20 requests in flight at once, each with its own credentials, logging after all have arrived',
        inFlight(20, 5),
      );
    });
  }

  it('finds the leak this property looks for when redaction is off (the property can fail)', async () => {
    // A secret too short to redact (under 6 characters) is the package's documented blind spot:
    // the same property must see it in the output, or it could not see any leak.
    const secret = 'k!y5';
    const server = await listen(expressFlavours[0].app({}, routes));
    try {
      const headers = fcHeaders({ 'x-fc-access-key-secret': secret });
      await call(portOf(server), { path: '/leak', headers });
      await waitForEnds(output(), [headers['x-fc-request-id']]);
      expect(() => {
        expectNowhere(secret);
      }).to.throw(/stdout holds/);
    } finally {
      await close(server);
    }
  });
});
