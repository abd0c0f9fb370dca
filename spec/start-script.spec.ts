import { expect } from 'chai';
import { readStartScript, type StartScript } from '../lib/cli/init/start-script';

describe('fc-runtime init reads a start script as the shell and Node would', () => {
  const node = (entry: string, more: { env?: string[]; nodeArgs?: string[]; args?: string[] } = {}): StartScript => ({
    node: { env: more.env ?? [], nodeArgs: more.nodeArgs ?? [], entry, args: more.args ?? [] },
  });
  const cases: [string, StartScript][] = [
    ['node server.js', node('server.js')],
    ['node dist/main', node('dist/main')],
    [
      'NODE_ENV=production node -r dotenv/config --max-old-space-size=512 ./bin/www --verbose',
      node('./bin/www', {
        env: ['NODE_ENV=production'],
        nodeArgs: ['-r', 'dotenv/config', '--max-old-space-size=512'],
        args: ['--verbose'],
      }),
    ],
    [
      'node --import ./otel.mjs --enable-source-maps app.js',
      node('app.js', { nodeArgs: ['--import', './otel.mjs', '--enable-source-maps'] }),
    ],
    ['npm run build && node dist/server.js', node('dist/server.js')],
    ['cross-env X=1 nodemon; node "my app.js"', node('my app.js')],
    ['node . # run the main', node('.')],
    ['/usr/bin/node -- -weird.js', node('-weird.js')],
    ['node -e "require(\'./app\')"', undefined],
    ['nodemon app.js', undefined],
    ['', undefined],
  ];
  for (const [script, expected] of cases) {
    it(`reads ${JSON.stringify(script)}`, () => {
      expect(readStartScript(script)).to.deep.equal(expected);
    });
  }

  const hints: [string, RegExp][] = [
    ['nest start', /Nest CLI: build first/],
    ['tsx watch src/main.ts', /TypeScript through tsx/],
    ['ts-node src/main.ts', /TypeScript through ts-node/],
    ['yarn serve', /another script/],
    ['next start -p 3000', /output: 'standalone'/],
  ];
  for (const [script, hint] of hints) {
    it(`says what to do for ${JSON.stringify(script)}`, () => {
      const read = readStartScript(script);
      expect(read !== undefined && 'hint' in read ? read.hint : undefined).to.match(hint);
    });
  }
});
