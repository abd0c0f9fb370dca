// Real loggers under fcRuntime(): pino (its default destination and a sync one), pino-http, winston, log4js, NestJS's ConsoleLogger and egg-logger, each in a site run as FC runs it.
import { expect } from 'chai';
import { randomBytes } from 'crypto';
import { call } from './helpers/http';
import { fcHeaders, freePorts, newRequestId } from './helpers/apps';
import { fixture, logOf, run, type Child } from './helpers/child';
import { expectOneInvocation } from './helpers/markers';

interface Logger {
  name: string;
  /** The fixture under spec/fixtures/loggers/. */
  site: string;
  /** Made with `mixin: requestIdMixin`: every JSON line carries the request id. */
  mixin?: boolean;
}

const LOGGERS: Logger[] = [
  { name: 'pino with its default destination (sonic-boom on fd 1, asynchronous)', site: 'pino-default', mixin: true },
  { name: 'pino with pino.destination({ sync: true })', site: 'pino-sync', mixin: true },
  { name: 'pino-http', site: 'pino-http', mixin: true },
  { name: 'winston with a Console transport', site: 'winston' },
  { name: 'log4js with the stdout appender', site: 'log4js' },
  { name: "NestJS's ConsoleLogger", site: 'nest' },
  { name: 'egg-logger with a ConsoleTransport', site: 'egg' },
];

// Sequential requests per site: sonic-boom's asynchronous writes and the End markers get several chances to cross.
const REQUESTS = 4;

/** Long random values, as FC's STS credentials are. */
function secret(): string {
  return randomBytes(32).toString('base64url');
}

// What the spec's own environment might set and a site on FC would not see.
const CLEAN = Object.fromEntries(
  Object.keys(process.env)
    .filter((name) => name.startsWith('EXPRESS_FC_') || name.startsWith('FC_'))
    .map((name) => [name, '']),
);

interface Sent {
  requestId: string;
  token: string;
  secrets: string[];
}

describe('real loggers under fcRuntime()', function () {
  for (const logger of LOGGERS) {
    describe(logger.name, () => {
      let child: Child;
      const envSecrets = [secret(), secret()];
      const sent: Sent[] = [];
      const blocks: { start: number; end: number }[] = [];

      before(async () => {
        const [port] = await freePorts(1);
        child = run(fixture(`loggers/${logger.site}.js`), {
          ...CLEAN,
          PORT: String(port),
          // On FC: x-fc-* headers are FC's.
          FC_FUNC_CODE_PATH: '/code',
          ALIBABA_CLOUD_ACCESS_KEY_ID: `STS.${secret()}`,
          ALIBABA_CLOUD_ACCESS_KEY_SECRET: envSecrets[0],
          ALIBABA_CLOUD_SECURITY_TOKEN: envSecrets[1],
        });
        await child.waitFor(/^listening$/);
        for (let i = 0; i < REQUESTS; i++) {
          const request: Sent = { requestId: newRequestId(), token: `token-${secret()}`, secrets: [secret(), secret()] };
          sent.push(request);
          const answer = await call(port, {
            path: `/log?token=${request.token}`,
            headers: fcHeaders({
              'x-fc-request-id': request.requestId,
              'x-fc-access-key-id': `STS.${secret()}`,
              'x-fc-access-key-secret': request.secrets[0],
              'x-fc-security-token': request.secrets[1],
            }),
          });
          expect(answer.text).to.equal(`logged ${request.token}`);
          // Reads the child's stdout until this request's End marker is out.
          blocks.push(await expectOneInvocation(logOf(child), 'Invoke', request.requestId));
        }
      });

      after(async () => {
        if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill();
        await child.exited;
      });

      it("writes every line of a request after that request's Start marker and before its End marker", () => {
        const lines = child.stdout.split('\n');
        sent.forEach(({ token }, i) => {
          const written = [`plain ${token}`, `secrets ${token}`, `error ${token}`];
          for (const text of written) {
            const where = [...lines, ...child.stderr.split('\n')].filter((line) => line.includes(text));
            expect(where, `lines with "${text}" on stdout and stderr`).to.have.length(1);
          }
          const outside = lines.flatMap((line, at) =>
            line.includes(token) && !(at > blocks[i].start && at < blocks[i].end) ? [line] : [],
          );
          expect(outside, `lines of request ${i + 1} outside its markers; stdout:\n${child.stdout}`).to.deep.equal([]);
        });
        // And nothing between one request's End and the next one's Start, nor after the last End.
        const listening = lines.indexOf('listening');
        const stray = lines.flatMap((line, at) =>
          at > listening && line !== '' && !blocks.some(({ start, end }) => at >= start && at <= end) ? [line] : [],
        );
        expect(stray, `lines outside every invocation; stdout:\n${child.stdout}`).to.deep.equal([]);
      });

      it("writes neither the environment's nor a request's access key secret or security token, on stdout or stderr", () => {
        const output = child.stdout + child.stderr;
        for (const value of [...envSecrets, ...sent.flatMap(({ secrets }) => secrets)]) {
          expect(output.includes(value), `${value} written; stdout:\n${child.stdout}\nstderr:\n${child.stderr}`).to.equal(false);
        }
        expect(output).to.include('[redacted]');
      });

      if (logger.mixin === true) {
        it('puts the request id in every JSON line, through requestIdMixin', () => {
          const lines = child.stdout.split('\n');
          sent.forEach(({ requestId }, i) => {
            const json = lines
              .slice(blocks[i].start + 1, blocks[i].end)
              .map((line) => JSON.parse(line) as { requestId?: string; msg?: string });
            expect(json.length).to.be.at.least(3);
            for (const line of json) expect(line.requestId, JSON.stringify(line)).to.equal(requestId);
          });
        });
      }
    });
  }
});
