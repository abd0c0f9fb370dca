// Trust (SPEC, "Trust"): on FC every x-fc-* request header is FC's own; anywhere else any client can send them.
// Each attack a plain client could make is tried with the runtime on FC and off it.
import { expect } from 'chai';
import express from 'express';
import { randomBytes } from 'crypto';
import { fcRuntime, type FcContext, type Options } from '../lib';
import { fcHeaders, listenPerTest, newRequestId } from './helpers/apps';
import { withEnv } from './helpers/env';
import { call } from './helpers/http';
import { expectOneInvocation } from './helpers/markers';
import { recordOutput } from './helpers/output';

/** What FC sets in every instance's environment; any one of them means "on FC". */
const FC_ENVIRONMENT = [
  'FC_FUNCTION_NAME',
  'FC_INSTANCE_ID',
  'FC_CUSTOM_LISTEN_PORT',
  'FC_SERVER_PORT',
  'FC_FUNC_CODE_PATH',
  'EXPRESS_FC_TRUST_FC_HEADERS',
];

const ENV_SECRET = `env-secret-${randomBytes(12).toString('hex')}`;
const ENV_TOKEN = `env-token-${randomBytes(12).toString('hex')}`;
/** The function's own role, as FC puts it in the environment. */
const ENV = {
  FC_FUNCTION_NAME: 'real-function',
  ALIBABA_CLOUD_ACCESS_KEY_ID: 'STS.env-key-id',
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: ENV_SECRET,
  ALIBABA_CLOUD_SECURITY_TOKEN: ENV_TOKEN,
};

interface Seen {
  url: string;
  context: FcContext;
  headers: Record<string, unknown>;
}

/** An Express 5 site with fcRuntime(options) in front, its hooks counted, and a catch-all route that answers what it saw. */
function site(options: Options) {
  const runs = { invoke: 0, initialize: 0, preStop: 0, events: 0 };
  const seen: Seen[] = [];
  const app = withEnv(ENV, () => {
    const app = express();
    app.use(
      fcRuntime({
        invoke: () => {
          runs.invoke++;
          return 'event handled';
        },
        initialize: () => {
          runs.initialize++;
        },
        preStop: () => {
          runs.preStop++;
        },
        ...options,
      }),
    );
    app.post('/internal/events', (_req, res) => {
      runs.events++;
      res.send('internal');
    });
    app.get('/log', (req, res) => {
      console.log('%s', req.query.text);
      res.send('logged');
    });
    app.use((req, res) => {
      seen.push({ url: req.url, context: req.fc!, headers: { ...req.headers } });
      res.status(404).send('the app answers');
    });
    return app;
  });
  return { app, runs, seen };
}

describe('trust: x-fc-* request headers', () => {
  const listen = listenPerTest();
  const output = recordOutput();

  for (const onFc of [true, false]) {
    describe(onFc ? 'on FC (trustFcHeaders: true): they are FC’s own' : 'off FC (trustFcHeaders: false): any client may send them', () => {
      const trustFcHeaders = onFc;

      it(
        onFc
          ? 'runs the event handler on x-fc-control-path: /invoke'
          : 'does not run the event handler on x-fc-control-path: /invoke, on any path',
        async () => {
          const { app, runs, seen } = site({ trustFcHeaders });
          const server = await listen(app);
          const res = await call(server, { method: 'POST', path: '/anything', headers: { 'x-fc-control-path': '/invoke' }, body: 'evil' });
          expect(runs.invoke).to.equal(onFc ? 1 : 0);
          if (onFc) expect(res.text).to.equal('event handled');
          else expect(seen.map((s) => s.url)).to.deep.equal(['/anything']);
        },
      );

      it(onFc ? 'runs the event handler on POST /invoke' : 'passes POST /invoke with an x-fc-request-id to the app', async () => {
        const { app, runs } = site({ trustFcHeaders });
        const server = await listen(app);
        const res = await call(server, { method: 'POST', path: '/invoke', headers: { 'x-fc-request-id': 'attacker-1' }, body: 'evil' });
        expect(runs.invoke).to.equal(onFc ? 1 : 0);
        expect(res.text).to.equal(onFc ? 'event handled' : 'the app answers');
      });

      it(
        onFc ? 'runs the initializer and preStop on FC’s requests' : 'runs neither the initializer nor preStop, whatever the headers say',
        async () => {
          const { app, runs } = site({ trustFcHeaders });
          const server = await listen(app);
          for (let i = 0; i < 10; i++) {
            await call(server, {
              method: 'POST',
              path: '/initialize',
              headers: { 'x-fc-control-path': '/initialize', 'x-fc-initialization-timeout': '0.001' },
            });
          }
          await call(server, { path: '/pre-stop', headers: { 'x-fc-control-path': '/pre-stop' } });
          expect(runs).to.include(onFc ? { initialize: 1, preStop: 1 } : { initialize: 0, preStop: 0 });
        },
      );

      it(
        onFc
          ? 'writes markers and lines under FC’s request id'
          : 'writes markers and lines as on FC, under a fresh request id: a client’s x-fc-request-id is not taken',
        async () => {
          const { app } = site({ trustFcHeaders });
          const server = await listen(app);
          await call(server, { path: '/log?text=marked', headers: { 'x-fc-request-id': 'client-chosen' } });
          const start = await output().waitFor(/^FC Invoke Start RequestId: /);
          const id = start.slice('FC Invoke Start RequestId: '.length);
          if (onFc) expect(id).to.equal('client-chosen');
          else expect(id).to.match(/^[0-9a-f-]{36}$/);
          await expectOneInvocation(output(), 'Invoke', id);
          expect(output().stdout).to.match(new RegExp(`^\\S+Z ${id} \\[INFO\\] marked$`, 'm'));
        },
      );

      it(onFc ? 'answers x-fc-log-type: Tail with the log in x-fc-log-result' : 'never answers x-fc-log-result', async () => {
        const { app } = site({ trustFcHeaders });
        const server = await listen(app);
        const res = await call(server, {
          path: '/log?text=private',
          headers: { 'x-fc-log-type': 'Tail', 'x-fc-request-id': newRequestId() },
        });
        if (onFc) expect(Buffer.from(String(res.headers['x-fc-log-result']), 'base64').toString()).to.contain('private');
        else expect(res.headers).not.to.have.property('x-fc-log-result');
      });

      it(
        onFc
          ? 'takes the credentials and function facts from the headers'
          : 'takes credentials and function facts from the environment only, and still drops the credential headers',
        async () => {
          const { app, seen } = site({ trustFcHeaders });
          const server = await listen(app);
          await call(server, {
            path: '/who',
            headers: fcHeaders({ 'x-fc-access-key-id': 'STS.attacker', 'x-fc-function-name': 'spoofed' }),
          });
          const [{ context, headers }] = seen;
          if (onFc) {
            expect(context.credentials.accessKeyId).to.equal('STS.attacker');
            expect(context.function.name).to.equal('spoofed');
          } else {
            expect({ ...context.credentials }).to.deep.equal({
              accessKeyId: 'STS.env-key-id',
              accessKeySecret: ENV_SECRET,
              securityToken: ENV_TOKEN,
            });
            expect(context.function.name).to.equal('real-function');
            expect(context.service.name).to.equal(undefined);
          }
          expect(headers).not.to.have.property('x-fc-access-key-secret');
          expect(headers).not.to.have.property('x-fc-security-token');
        },
      );

      it(onFc ? 'removes FC 2.0’s proxy base path' : 'leaves the path alone whatever x-fc-base-path says', async () => {
        const { app, seen } = site({ trustFcHeaders });
        const server = await listen(app);
        const prefix = '/2016-08-15/proxy/web/site';
        await call(server, { path: `${prefix}/admin`, headers: { 'x-fc-base-path': prefix } });
        expect(seen[0].url).to.equal(onFc ? '/admin' : `${prefix}/admin`);
        expect(seen[0].context.basePath).to.equal(onFc ? prefix : undefined);
      });

      it(onFc ? 'hands FC’s events to the eventPath route' : 'never reaches the eventPath route through x-fc-control-path', async () => {
        const { app, runs, seen } = site({ trustFcHeaders, eventPath: '/internal/events', invoke: undefined });
        const server = await listen(app);
        await call(server, { method: 'POST', path: '/public', headers: { 'x-fc-control-path': '/invoke' }, body: '{}' });
        expect(runs.events).to.equal(onFc ? 1 : 0);
        if (!onFc) expect(seen.map((s) => s.url)).to.deep.equal(['/public']);
      });

      it('keeps redacting the environment’s credentials after 1 030 requests that bring fresh secrets', async () => {
        const { app } = site({ trustFcHeaders });
        const server = await listen(app);
        for (let i = 0; i < 1030; i++) {
          await call(server, { path: '/ping', headers: { 'x-fc-access-key-secret': `flood-${i}-${randomBytes(6).toString('hex')}` } });
        }
        output().stdout = '';
        const id = newRequestId();
        await call(server, { path: `/log?text=${ENV_SECRET}+${ENV_TOKEN}`, headers: { 'x-fc-request-id': id } });
        const end = await output().waitFor(/^FC Invoke End RequestId: /);
        expect(end).to.be.a('string');
        expect(output().stdout).to.contain('[redacted] [redacted]');
        expect(output().stdout).not.to.contain(ENV_SECRET);
        expect(output().stdout).not.to.contain(ENV_TOKEN);
      });

      it(
        onFc ? 'redacts a request’s own secret, FC’s' : 'takes no request’s header as a secret, so none can blank words from the log',
        async () => {
          const { app } = site({ trustFcHeaders });
          const server = await listen(app);
          // A word of its own per run: the list of secrets is the process's.
          const word = `RequestId-${onFc ? 'on' : 'off'}-fc`;
          await call(server, { path: '/ping', headers: { 'x-fc-access-key-secret': word } });
          await call(server, { path: `/log?text=${word}`, headers: { 'x-fc-request-id': newRequestId() } });
          await output().waitFor(/^FC Invoke End RequestId: .*\n?/);
          await output().waitFor(/\[INFO\] /);
          if (onFc) expect(output().stdout).not.to.contain(word);
          else expect(output().stdout).to.contain(`[INFO] ${word}`);
        },
      );
    });
  }

  describe('where the runtime runs, unless told', () => {
    const onFcEnv = (vars: Record<string, string>) => withEnv(vars, () => fcRuntime(), { unset: FC_ENVIRONMENT });

    async function controlPathSeen(middleware: ReturnType<typeof fcRuntime>): Promise<string> {
      const app = express();
      app.use(middleware);
      app.use((req, res) => res.send(req.fc!.controlPath));
      const server = await listen(app);
      return (await call(server, { method: 'POST', path: '/x', headers: { 'x-fc-control-path': '/initialize' } })).text;
    }

    for (const name of ['FC_FUNCTION_NAME', 'FC_INSTANCE_ID', 'FC_CUSTOM_LISTEN_PORT', 'FC_SERVER_PORT', 'FC_FUNC_CODE_PATH']) {
      it(`trusts them where FC's environment is (${name})`, async () => {
        expect(await controlPathSeen(onFcEnv({ [name]: '9000' }))).not.to.equal('/http-invoke');
      });
    }

    it('does not trust them without FC’s environment: every request is /http-invoke for the app', async () => {
      expect(await controlPathSeen(onFcEnv({}))).to.equal('/http-invoke');
    });

    it('follows EXPRESS_FC_TRUST_FC_HEADERS either way, and the option over it', async () => {
      expect(await controlPathSeen(onFcEnv({ FC_FUNC_CODE_PATH: '/code', EXPRESS_FC_TRUST_FC_HEADERS: 'false' }))).to.equal('/http-invoke');
      expect(await controlPathSeen(onFcEnv({ EXPRESS_FC_TRUST_FC_HEADERS: 'true' }))).not.to.equal('/http-invoke');
      const forced = withEnv({ EXPRESS_FC_TRUST_FC_HEADERS: 'false' }, () => fcRuntime({ trustFcHeaders: true }), {
        unset: FC_ENVIRONMENT,
      });
      expect(await controlPathSeen(forced)).not.to.equal('/http-invoke');
    });

    it('refuses an EXPRESS_FC_TRUST_FC_HEADERS that is no boolean, naming it', () => {
      expect(() => onFcEnv({ EXPRESS_FC_TRUST_FC_HEADERS: 'maybe' })).to.throw(
        TypeError,
        'EXPRESS_FC_TRUST_FC_HEADERS must be true or false, got "maybe".',
      );
    });

    it('refuses a trustFcHeaders option that is no boolean, naming it', () => {
      expect(() => fcRuntime({ trustFcHeaders: 'yes' as unknown as boolean })).to.throw(TypeError, /trustFcHeaders/);
    });
  });

  describe('request ids and control paths', () => {
    it('uses a request id only when it is a plain token, else a fresh one, with the given one at DEBUG', async () => {
      const { app } = site({ trustFcHeaders: true, logLevel: 'debug' });
      const server = await listen(app);
      for (const given of ['two words', 'tab\there', 'a'.repeat(129), 'semi;colon']) {
        output().stdout = '';
        await call(server, { path: '/log?text=hi', headers: { 'x-fc-request-id': given } });
        const start = await output().waitFor(/^FC Invoke Start RequestId: /);
        const id = start.slice('FC Invoke Start RequestId: '.length);
        expect(id).to.match(/^[0-9a-f-]{36}$/);
        await expectOneInvocation(output(), 'Invoke', id);
        expect(output().stdout).to.contain(
          `${id} [DEBUG] x-fc-request-id ${JSON.stringify(given)} is no plain token: this invocation is ${id}`,
        );
      }
      for (const given of ['1-6780b2b7-3a8b2c6d1e9f', 'req_1.2-3', 'a'.repeat(128)]) {
        await call(server, { path: '/log?text=hi', headers: { 'x-fc-request-id': given } });
        await expectOneInvocation(output(), 'Invoke', given);
      }
    });

    it('finds no control path on Object.prototype: x-fc-control-path: constructor is refused with Invoke markers', async () => {
      const { app } = site({ trustFcHeaders: true });
      const server = await listen(app);
      const id = newRequestId();
      const res = await call(server, {
        method: 'POST',
        path: '/x',
        headers: { 'x-fc-control-path': 'constructor', 'x-fc-request-id': id },
      });
      expect(res.status).to.equal(400);
      await expectOneInvocation(output(), 'Invoke', id);
      expect(output().stdout).not.to.contain('function Object');
    });
  });
});
