import { expect } from 'chai';
import { requestOverLimit, responseHeaderFate } from '../lib/cli/fc/limits';

describe("FC 3.0's limits (lib/cli/fc/limits)", () => {
  describe('requestOverLimit()', () => {
    const cases: [string, string, string[], RegExp | undefined][] = [
      ['a plain request', '/a?b=c', ['host', 'x'], undefined],
      ['a path of exactly 4 KB', `/${'p'.repeat(4095)}`, [], undefined],
      ['a path one byte over 4 KB', `/${'p'.repeat(4096)}`, [], /^the path with its query is 4097 bytes, over FC's 4 KB limit\.$/],
      ['a query that takes the path over 4 KB', `/a?q=${'p'.repeat(4096)}`, [], /path with its query is 4101 bytes/],
      ['headers of exactly 8 KB, names and values counted', '/', ['x-h', 'v'.repeat(8192 - 3)], undefined],
      ['headers one byte over 8 KB', '/', ['x-h', 'v'.repeat(8190)], /^the request headers are 8193 bytes, over FC's 8 KB limit\.$/],
    ];
    for (const [what, url, rawHeaders, expected] of cases) {
      it(what, () => {
        const verdict = requestOverLimit(url, rawHeaders);
        if (expected === undefined) expect(verdict).to.equal(undefined);
        else expect(verdict).to.match(expected);
      });
    }
  });

  describe('responseHeaderFate()', () => {
    const cases: [string, ReturnType<typeof responseHeaderFate>][] = [
      ['Content-Type', 'pass'],
      ['content-length', 'pass'],
      ['x-fc-status', 'pass'],
      ['Set-Cookie', 'pass'],
      ['Connection', 'drop'],
      ['keep-alive', 'drop'],
      ['date', 'drop'],
      ['transfer-encoding', 'drop'],
      ['Server', 'forbidden'],
      ['upgrade', 'forbidden'],
      ['x-fc-request-id', 'forbidden'],
      ['X-FC-Custom', 'forbidden'],
    ];
    for (const [name, fate] of cases) it(`${name}: ${fate}`, () => expect(responseHeaderFate(name)).to.equal(fate));
  });
});
