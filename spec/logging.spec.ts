import { expect } from 'chai';
import type express from 'express';
import { request as httpRequest, type Server } from 'http';
import request from 'supertest';
import { format } from 'util';
import { logger, type Options } from '../lib';
import { close, expressFlavours, fcHeaders, listen, newRequestId, urlOf, type Flavour } from './helpers/apps';
import { withEnv } from './helpers/env';
import { escapeRegExp, recordOutput } from './helpers/output';

/** `<ISO UTC ms> <requestId> [LEVEL] <message>`, FC's log line. */
const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (\S+) \[(DEBUG|INFO|WARN|ERROR)\] (.*)$/;

/** Waits for the macrotask queue: lets concurrent requests interleave (not used to synchronise). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The routes every app in this file has. */
function routes(app: express.Express): void {
  app.get('/log', (req, res) => {
    req.fc!.logger.info('via req.fc.logger');
    logger.info('via the exported logger');
    console.log('via console.log');
    res.send('ok');
  });
  app.get('/quiet', (_req, res) => {
    res.send('quiet');
  });
  app.get('/throw', () => {
    throw new Error('the route failed');
  });
  app.get('/hang', () => {
    console.log('hang started');
  });
  app.get('/late', async (_req, res) => {
    console.log('late started');
    await new Promise((resolve) => res.once('close', resolve));
    res.send('too late');
  });
  app.get('/levels', (req, res) => {
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      req.fc!.logger[level](`fc-${level}`);
      logger[level](`exported-${level}`);
      console[level](`console-${level}`);
    }
    console.log('console-log');
    res.send('ok');
  });
  app.get('/format', (_req, res) => {
    console.log('%s has %d', 'a', 2);
    console.info({ a: 1, nested: { b: 'x' } });
    console.warn('object', { list: [1, 2] }, 'and more');
    res.send('ok');
  });
  app.get('/concurrent', async (req, res) => {
    for (let step = 0; step < 5; step++) {
      console.log(`mine ${req.fc!.requestId} step ${step}`);
      if (step % 2 === 0) await turn();
      else await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
    }
    res.send('ok');
  });
  app.get('/tail-small', (req, res) => {
    console.log('one');
    req.fc!.logger.warn('two');
    res.send('ok');
    console.log('after the headers');
  });
  app.get('/tail-big', (req, res) => {
    for (let i = 0; i < 60; i++) console.log(`line ${i} ${'日志'.repeat(70)}`);
    console.log(`LAST-LINE${'x'.repeat(Number(req.query.pad))}`);
    res.send('ok');
  });
}

const hooks: Options = {
  invoke(event, context) {
    if (event.toString() === 'throw') throw new Error('the event failed');
    context.logger.info(`event ${event.toString()}`);
    console.warn('console in invoke');
    logger.error('exported in invoke');
    return 'done';
  },
  initialize(context) {
    context.logger.info('initializing');
  },
  preFreeze(context) {
    context.logger.info('freezing');
  },
  preStop(context) {
    context.logger.info('stopping');
  },
};

describe('FC logging', () => {
  const output = recordOutput();

  /** All stdout lines that are FC log lines of `id`, parsed. */
  function linesOf(id: string): { level: string; message: string; index: number }[] {
    return output()
      .stdoutLines.map((line, index) => ({ match: LINE.exec(line), index }))
      .filter(({ match }) => match !== null && match[1] === id)
      .map(({ match, index }) => ({ level: match![2], message: match![3], index }));
  }

  /**
   * Waits for the End marker, then checks one Start and one End marker for `id`, each alone on
   * its line, Start first; returns their line indexes.
   */
  async function markers(id: string, kind = 'Invoke'): Promise<{ start: number; end: number }> {
    await output().waitFor(new RegExp(`FC ${kind} End RequestId: ${escapeRegExp(id)}`));
    const lines = output().stdoutLines;
    const startLine = `FC ${kind} Start RequestId: ${id}`;
    const endLine = `FC ${kind} End RequestId: ${id}`;
    expect(
      lines.filter((l) => l.includes(startLine)),
      'Start markers',
    ).to.deep.equal([startLine]);
    expect(
      lines.filter((l) => l.includes(endLine)),
      'End markers',
    ).to.deep.equal([endLine]);
    const start = lines.indexOf(startLine);
    const end = lines.indexOf(endLine);
    expect(start).to.be.below(end);
    return { start, end };
  }

  /** Checks that `id` logged exactly these (level, message) pairs, in order, between its markers. */
  async function expectLogged(id: string, expected: [string, string][], kind = 'Invoke'): Promise<void> {
    const { start, end } = await markers(id, kind);
    const lines = linesOf(id);
    expect(lines.map(({ level, message }) => [level, message])).to.deep.equal(expected);
    for (const { index } of lines) expect(index).to.be.within(start + 1, end - 1);
  }

  /** GETs `path` with fresh FC headers and expects 200; resolves with the request id. */
  async function getOk(server: Server, path: string): Promise<string> {
    const headers = fcHeaders();
    await request(server).get(path).set(headers).expect(200);
    return headers['x-fc-request-id'];
  }

  it('writes the exported logger outside any request with - as the id', () => {
    logger.info('outside any request');
    logger.debug('outside, debug');
    const lines = output().stdoutLines.filter((line) => line.includes('outside'));
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(LINE);
    expect(LINE.exec(lines[0])!.slice(1)).to.deep.equal(['-', 'INFO', 'outside any request']);
  });

  for (const flavour of expressFlavours) {
    describe(flavour.name, () => {
      const servers: Server[] = [];
      async function serve(make: () => ReturnType<Flavour['app']>): Promise<Server> {
        const server = await listen(make());
        servers.push(server);
        return server;
      }
      after(() => Promise.all(servers.splice(0).map(close)));

      describe('markers', () => {
        let server: Server;
        before(async () => {
          server = await serve(() => flavour.app({ ...hooks, logLevel: 'debug' }, routes));
        });

        it('brackets a request that logs with one Start and one End marker', async () => {
          const id = await getOk(server, '/log');
          await expectLogged(id, [
            ['INFO', 'via req.fc.logger'],
            ['INFO', 'via the exported logger'],
            ['INFO', 'via console.log'],
          ]);
        });

        it('writes both markers for a request that logs nothing', async () => {
          const headers = fcHeaders();
          await request(server).get('/quiet').set(headers).expect(200, 'quiet');
          await expectLogged(headers['x-fc-request-id'], []);
        });

        it('writes a finished request within 20 ms while another is still open, without waiting for it', async () => {
          const headers = fcHeaders();
          const open = headers['x-fc-request-id'];
          const hanging = httpRequest(urlOf(server) + '/hang', { headers });
          const failed = new Promise<Error>((resolve) => hanging.on('error', resolve));
          hanging.end();
          await output().waitFor(new RegExp(`${escapeRegExp(open)} \\[INFO\\] hang started$`));
          const id = await getOk(server, '/log');
          await expectLogged(id, [
            ['INFO', 'via req.fc.logger'],
            ['INFO', 'via the exported logger'],
            ['INFO', 'via console.log'],
          ]);
          expect(output().stdout).not.to.include(`FC Invoke End RequestId: ${open}`);
          hanging.destroy();
          await failed;
          await expectLogged(open, [['INFO', 'hang started']]);
        });

        it('writes both markers once for a route that throws (Express answers 500)', async () => {
          const headers = fcHeaders();
          const res = await request(server).get('/throw').set(headers).expect(500);
          expect(res.headers['x-fc-status']).to.equal('404');
          const id = headers['x-fc-request-id'];
          const { start, end } = await markers(id);
          // Express's final handler prints the error with console.error, a turn after answering.
          const errors = linesOf(id).filter(({ level, message }) => level === 'ERROR' && message.startsWith('Error: the route failed'));
          expect(errors).to.have.length(1);
          expect(errors[0].index).to.be.within(start + 1, end - 1);
        });

        it('writes both markers once for an event whose handler throws, with the stack at ERROR', async () => {
          const headers = fcHeaders({ 'x-fc-control-path': '/invoke' });
          await request(server).post('/invoke').set(headers).send('throw').expect(404);
          const id = headers['x-fc-request-id'];
          await markers(id);
          const errors = linesOf(id).filter(({ level }) => level === 'ERROR');
          expect(errors).to.have.length(1);
          expect(errors[0].message).to.equal('Error: the event failed');
        });

        it('writes the End marker once when the client disconnects from a route that never answers', async () => {
          const id = await disconnect(server, '/hang', 'hang started');
          await expectLogged(id, [['INFO', 'hang started']]);
        });

        it('writes the End marker once when the client disconnects and the route answers later', async () => {
          const id = await disconnect(server, '/late', 'late started');
          await expectLogged(id, [['INFO', 'late started']]);
        });

        it('names the marker kinds Initialize, PreFreeze and PreStop for the hooks', async () => {
          for (const [path, method, kind, message] of [
            ['/initialize', 'post', 'Initialize', 'initializing'],
            ['/pre-freeze', 'get', 'PreFreeze', 'freezing'],
            ['/pre-stop', 'get', 'PreStop', 'stopping'],
          ] as const) {
            const headers = fcHeaders({ 'x-fc-control-path': path });
            await request(server)[method](path).set(headers).expect(200);
            const id = headers['x-fc-request-id'];
            await expectLogged(id, [['INFO', message]], kind);
            expect(output().stdout).not.to.include(`FC Invoke Start RequestId: ${id}`);
          }
        });

        it('writes context.logger, console and the exported logger in an event handler with its id', async () => {
          const headers = fcHeaders({ 'x-fc-control-path': '/invoke' });
          await request(server).post('/invoke').set(headers).send('hi').expect(200, 'done');
          await expectLogged(headers['x-fc-request-id'], [
            ['INFO', 'event hi'],
            ['WARN', 'console in invoke'],
            ['ERROR', 'exported in invoke'],
          ]);
        });

        it('gives every console method its level', async () => {
          const id = await getOk(server, '/levels');
          await markers(id);
          const consoleLines = linesOf(id).filter(({ message }) => message.startsWith('console-'));
          expect(consoleLines.map(({ level, message }) => [level, message])).to.deep.equal([
            ['DEBUG', 'console-debug'],
            ['INFO', 'console-info'],
            ['WARN', 'console-warn'],
            ['ERROR', 'console-error'],
            ['INFO', 'console-log'],
          ]);
        });

        it('formats console arguments as util.format does', async () => {
          const id = await getOk(server, '/format');
          await markers(id);
          // A multi-line message stays one record: its first line carries the prefix.
          const stdout = output().stdout;
          for (const [level, args] of [
            ['INFO', ['%s has %d', 'a', 2]],
            ['INFO', [{ a: 1, nested: { b: 'x' } }]],
            ['WARN', ['object', { list: [1, 2] }, 'and more']],
          ] as const) {
            expect(stdout).to.match(new RegExp(`Z ${escapeRegExp(id)} \\[${level}\\] ${escapeRegExp(format(...args))}\\n`));
          }
          expect(stdout).to.include(`[INFO] a has 2\n`);
        });

        it('keeps concurrent requests apart: every line carries its own request id', async () => {
          const ids = Array.from({ length: 30 }, () => newRequestId());
          await Promise.all(
            ids.map((id) =>
              request(server)
                .get('/concurrent')
                .set(fcHeaders({ 'x-fc-request-id': id }))
                .expect(200),
            ),
          );
          await Promise.all(ids.map((id) => markers(id)));
          const mine = output()
            .stdoutLines.filter((line) => line.includes(' mine '))
            .map((line) => LINE.exec(line));
          expect(mine).to.have.length(30 * 5);
          for (const match of mine) {
            expect(match).not.to.equal(null);
            const [, idField, , message] = match!;
            expect(/^mine (\S+) step \d$/.exec(message)?.[1]).to.equal(idField);
          }
          for (const id of ids) {
            await expectLogged(
              id,
              [0, 1, 2, 3, 4].map((step) => ['INFO', `mine ${id} step ${step}`]),
            );
          }
        });
      });

      describe('level filtering', () => {
        const cases: { name: string; make: () => ReturnType<Flavour['app']>; kept: string[] }[] = [
          { name: 'default (info)', make: () => flavour.app({}, routes), kept: ['info', 'warn', 'error'] },
          { name: "logLevel 'debug'", make: () => flavour.app({ logLevel: 'debug' }, routes), kept: ['debug', 'info', 'warn', 'error'] },
          { name: "logLevel 'warn'", make: () => flavour.app({ logLevel: 'warn' }, routes), kept: ['warn', 'error'] },
          {
            name: 'env EXPRESS_FC_LOG_LEVEL=error',
            make: () => withEnv({ EXPRESS_FC_LOG_LEVEL: 'error' }, () => flavour.app({}, routes)),
            kept: ['error'],
          },
          {
            name: "logLevel 'info' over env EXPRESS_FC_LOG_LEVEL=error",
            make: () => withEnv({ EXPRESS_FC_LOG_LEVEL: 'error' }, () => flavour.app({ logLevel: 'info' }, routes)),
            kept: ['info', 'warn', 'error'],
          },
        ];
        for (const { name, make, kept } of cases) {
          it(`${name} writes ${kept.join(', ')} lines from the logger, the exported logger and console`, async () => {
            const server = await serve(make);
            const id = await getOk(server, '/levels');
            await markers(id);
            const expected: [string, string][] = [];
            for (const level of ['debug', 'info', 'warn', 'error']) {
              if (!kept.includes(level)) continue;
              for (const source of ['fc', 'exported', 'console']) expected.push([level.toUpperCase(), `${source}-${level}`]);
            }
            if (kept.includes('info')) expected.push(['INFO', 'console-log']);
            await expectLogged(id, expected);
          });
        }
      });

      describe('console: false', () => {
        it('leaves console.log alone while req.fc!.logger still writes FC lines', async () => {
          const server = await serve(() => flavour.app({ console: false }, routes));
          const id = await getOk(server, '/log');
          await expectLogged(id, [
            ['INFO', 'via req.fc.logger'],
            ['INFO', 'via the exported logger'],
          ]);
          expect(output().stdoutLines).to.include('via console.log');
        });
      });

      describe('secrets', () => {
        const envSecret = `env-secret-${newRequestId()}`;
        const envToken = `env-token-${newRequestId()}`;
        let server: Server;
        before(async () => {
          server = await serve(() =>
            withEnv({ ALIBABA_CLOUD_ACCESS_KEY_SECRET: envSecret, ALIBABA_CLOUD_SECURITY_TOKEN: envToken }, () =>
              flavour.app({ keepCredentialHeaders: true }, (app) => {
                app.get('/leak', (req, res) => {
                  const { accessKeySecret, securityToken } = req.fc!.credentials;
                  console.log('secret is', accessKeySecret, 'token is', securityToken);
                  console.log('env secret is %s, env token is %s', envSecret, envToken);
                  console.info({ nested: { accessKeySecret, securityToken, envSecret, envToken } });
                  console.error(new Error(`failed with ${String(accessKeySecret)} and ${envToken}`));
                  console.log(req.headers);
                  process.stdout.write(`raw ${String(securityToken)} ${String(accessKeySecret)} ${envSecret}\n`);
                  process.stderr.write(Buffer.from(`buffer ${String(accessKeySecret)} ${String(securityToken)} ${envToken}\n`));
                  console.log('last', accessKeySecret, securityToken, envSecret, envToken);
                  res.send('ok');
                });
              }),
            ),
          );
        });

        function leakHeaders(extra: Record<string, string> = {}) {
          return fcHeaders({
            'x-fc-access-key-secret': `hdr-secret-${newRequestId()}`,
            'x-fc-security-token': `hdr-token-${newRequestId()}`,
            ...extra,
          });
        }

        it('never writes the secret or the token, from env or headers, whatever way the app prints them', async () => {
          const headers = leakHeaders();
          await request(server).get('/leak').set(headers).expect(200);
          await markers(headers['x-fc-request-id']);
          const { stdout, stderr } = output();
          for (const secret of [envSecret, envToken, headers['x-fc-access-key-secret'], headers['x-fc-security-token']]) {
            expect(stdout).not.to.include(secret);
            expect(stderr).not.to.include(secret);
          }
          expect(stdout).to.include('[INFO] secret is [redacted] token is [redacted]\n');
          expect(stdout).to.include('[INFO] env secret is [redacted], env token is [redacted]\n');
          expect(stdout).to.match(/\[ERROR\] Error: failed with \[redacted\] and \[redacted\]/);
          expect(stdout).to.include("'x-fc-access-key-secret': '[redacted]'");
          expect(stdout).to.include('raw [redacted] [redacted] [redacted]\n');
          expect(stderr).to.include('buffer [redacted] [redacted] [redacted]\n');
        });

        it('never puts the secret or the token in x-fc-log-result', async () => {
          const headers = leakHeaders({ 'x-fc-log-type': 'Tail' });
          const res = await request(server).get('/leak').set(headers).expect(200);
          const tail = Buffer.from(res.headers['x-fc-log-result'], 'base64').toString('utf8');
          expect(tail).to.include('[INFO] last [redacted] [redacted] [redacted] [redacted]\n');
          for (const secret of [envSecret, envToken, headers['x-fc-access-key-secret'], headers['x-fc-security-token']]) {
            expect(tail).not.to.include(secret);
          }
        });
      });

      describe('x-fc-log-type: Tail', () => {
        let server: Server;
        before(async () => {
          server = await serve(() => flavour.app({}, routes));
        });

        it('answers x-fc-log-result: the Start marker and the lines logged before the headers, base64', async () => {
          const headers = fcHeaders({ 'x-fc-log-type': 'Tail' });
          const res = await request(server).get('/tail-small').set(headers).expect(200);
          const id = headers['x-fc-request-id'];
          const tail = Buffer.from(res.headers['x-fc-log-result'], 'base64').toString('utf8');
          const stamp = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';
          expect(tail).to.match(
            new RegExp(
              `^FC Invoke Start RequestId: ${escapeRegExp(id)}\\n${stamp} ${escapeRegExp(id)} \\[INFO\\] one\\n${stamp} ${escapeRegExp(id)} \\[WARN\\] two\\n$`,
            ),
          );
          await expectLogged(id, [
            ['INFO', 'one'],
            ['WARN', 'two'],
            ['INFO', 'after the headers'],
          ]);
        });

        it('answers the Start marker alone for a request that logs nothing', async () => {
          const headers = fcHeaders({ 'x-fc-log-type': 'Tail' });
          const res = await request(server).get('/quiet').set(headers).expect(200);
          const id = headers['x-fc-request-id'];
          expect(Buffer.from(res.headers['x-fc-log-result'], 'base64').toString('utf8')).to.equal(`FC Invoke Start RequestId: ${id}\n`);
          await markers(id);
        });

        it('keeps the end of a long log, at most 4096 characters of header, cut at a character boundary', async () => {
          let cutThroughACharacter = false;
          for (const pad of [0, 1, 2]) {
            const headers = fcHeaders({ 'x-fc-log-type': 'Tail' });
            const res = await request(server).get(`/tail-big?pad=${pad}`).set(headers).expect(200);
            const id = headers['x-fc-request-id'];
            await markers(id);
            const value: string = res.headers['x-fc-log-result'];
            expect(value.length).to.be.at.most(4096);
            const bytes = Buffer.from(value, 'base64');
            expect(bytes.length).to.be.within(3070, 3072);
            const tail = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
            const last = `[INFO] LAST-LINE${'x'.repeat(pad)}\n`;
            expect(tail.endsWith(last)).to.equal(true);
            // The whole log as written to stdout: from the Start marker to the last line.
            const stdout = output().stdout;
            const from = stdout.indexOf(`FC Invoke Start RequestId: ${id}\n`);
            const whole = stdout.slice(from, stdout.indexOf(last, from) + last.length);
            expect(Buffer.byteLength(whole)).to.be.above(20 * 1024);
            expect(whole.endsWith(tail)).to.equal(true);
            const wholeBytes = Buffer.from(whole);
            if ((wholeBytes[wholeBytes.length - 3072] & 0xc0) === 0x80) cutThroughACharacter = true;
          }
          expect(cutThroughACharacter, 'one of the logs had a multi-byte character at the cut').to.equal(true);
        });

        it('sends no x-fc-log-result without x-fc-log-type: Tail', async () => {
          const headers = fcHeaders();
          const res = await request(server).get('/tail-small').set(headers).expect(200);
          expect(res.headers).not.to.have.property('x-fc-log-result');
          await markers(headers['x-fc-request-id']);
        });
      });
    });
  }

  /**
   * Sends a request with http.request, waits until the route has logged `started`, then drops the
   * connection. Resolves with the request id.
   */
  async function disconnect(server: Server, path: string, started: string): Promise<string> {
    const headers = fcHeaders();
    const id = headers['x-fc-request-id'];
    const req = httpRequest(urlOf(server) + path, { headers });
    const failed = new Promise<Error>((resolve) => req.on('error', resolve));
    req.on('response', () => expect.fail('the route should not have answered'));
    req.end();
    await output().waitFor(new RegExp(`${escapeRegExp(id)} \\[INFO\\] ${started}$`));
    req.destroy();
    await failed;
    return id;
  }
});
