import { expect } from 'chai';
import { existsSync } from 'fs';
import { chromium, type Browser } from 'playwright-core';
import { startLocal, type LocalFc } from './local-fc';

// Debian's chromium package; scripts/install-chromium.sh installs it (CI runs it before the tests).
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Chromium, or (thrown at once, before anything else starts) one line saying how to install it. */
function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: this check needs Debian's chromium (run scripts/install-chromium.sh, or set CHROMIUM_PATH).`);
  }
  return chromium.launch({ executablePath: CHROMIUM, timeout: 30_000 });
}

describe('samples/classic-site in headless Chromium, through the local Function Compute', () => {
  let fc: LocalFc;
  let browser: Browser;

  before(async function () {
    // Chromium first: a missing one throws before the local FC starts.
    [browser, fc] = await Promise.all([launchChromium(), startLocal('classic-site', { SESSION_KEYS: 'spec-session-key' })]);
  });

  after(async () => {
    // Either is unset when before() failed.
    await (browser as Browser | undefined)?.close();
    await (fc as LocalFc | undefined)?.stop();
  });

  it('loads the home page with its stylesheet and logo, and a form round trip signs the guestbook', async () => {
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on('requestfailed', (req) => failed.push(req.url()));
    page.on('response', (res) => res.status() >= 400 && failed.push(`${res.status()} ${res.url()}`));

    const home = await page.goto(`${fc.base}/`);
    expect(home?.status()).to.equal(200);
    expect(await home?.headerValue('x-fc-status')).to.equal('200');
    expect(await page.title()).to.equal('Sign the guestbook · Guestbook');
    // The stylesheet applied and the logo decoded: static files came through the front.
    // (Expressions as text: this project compiles without the DOM's types.)
    expect(await page.evaluate("getComputedStyle(document.querySelector('header')).display")).to.equal('flex');
    expect(await page.evaluate("document.querySelector('.brand img').naturalWidth")).to.be.above(0);

    await page.fill('input[name=name]', 'Chromium');
    await page.fill('textarea[name=message]', 'Signed in a real browser');
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- its Response is what the next line checks; waitForURL() gives none
    const [signed] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]:has-text("Sign")')]);
    expect(signed?.status()).to.equal(200);
    expect(page.url()).to.equal(`${fc.base}/`);
    expect(await page.textContent('.flash')).to.equal('Thank you for signing, Chromium!');
    expect(await page.textContent('.entries li:first-child')).to.contain('Chromium: Signed in a real browser');
    expect(await page.textContent('.visitor')).to.equal('Chromium');
    const cookies = await page.context().cookies();
    expect(cookies.map((c) => c.name).sort()).to.deep.equal(['guestbook', 'guestbook.sig']);

    // The same visit, on the FC side: the post and the page after it, each one invocation.
    const post = await fc.child.waitFor(/^FC POST \/sign: 303, x-fc-status 200, /);
    await fc.invocation(/RequestId: (\S+)$/.exec(post)![1]);
    expect(failed).to.deep.equal([]);
    await page.close();
  });
});

describe('samples/chat in headless Chromium, through the local Function Compute', () => {
  let fc: LocalFc;
  let browser: Browser;

  before(async function () {
    [browser, fc] = await Promise.all([launchChromium(), startLocal('chat')]);
  });

  after(async () => {
    await (browser as Browser | undefined)?.close();
    await (fc as LocalFc | undefined)?.stop();
  });

  it("two browsers chat over the page's WebSocket: each sees the other's message", async () => {
    const [ann, bob] = await Promise.all([browser.newPage(), browser.newPage()]);
    await ann.goto(`${fc.base}/?name=ann`);
    await ann.waitForSelector('text=connected as ann');
    await bob.goto(`${fc.base}/?name=bob`);
    await bob.waitForSelector('text=connected as bob');
    await ann.waitForSelector('#log li:has-text("bob joined")');

    await ann.fill('#text', 'hello from Chromium');
    await ann.click('#say button');
    await bob.waitForSelector('#log li:has-text("ann: hello from Chromium")');
    await bob.fill('#text', 'hello back');
    await bob.press('#text', 'Enter');
    await ann.waitForSelector('#log li:has-text("bob: hello back")');

    // On the FC side: ann's connection is one invocation, and her message is in it.
    await bob.close();
    await ann.waitForSelector('#log li:has-text("bob left")');
    await ann.close();
    const line = await fc.child.waitFor(/^FC GET \/chat\?name=ann \(WebSocket\): 101, /);
    const id = /RequestId: (\S+)$/.exec(line)![1];
    const lines = await fc.linesOf(id);
    expect(lines.some((l) => l.endsWith('[INFO] ann says: hello from Chromium'))).to.equal(true);
  });
});
