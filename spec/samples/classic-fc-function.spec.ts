import { expect } from 'chai';
import { readFileSync } from 'fs';
import { join } from 'path';
import { invokeLocal, loadSample, logLine, sampleDir, startLocal, type LocalFc } from './local-fc';

type Callback = (error: Error | null, result?: unknown) => void;
interface ClassicFunction {
  initializer(context: unknown, callback: Callback): void;
  handler(event: Buffer, context: unknown, callback: Callback): void;
  preStop(context: unknown, callback: Callback): void;
}

const ORDER = readFileSync(join(sampleDir('classic-fc-function'), 'events', 'order.json'));
const PRICED = { orderId: 'A-1001', subtotal: 45.3, tax: 5.89, total: 51.19 };

describe("samples/classic-fc-function: FC's classic Node.js runtime, unchanged in a custom runtime", () => {
  describe("as FC's classic runtime called it (handler, initializer and preStop with callbacks)", () => {
    const fn = loadSample('classic-fc-function', 'index.js') as ClassicFunction;
    const logged: string[] = [];
    const log = (...args: unknown[]) => logged.push(args.join(' '));
    const context = { requestId: 'classic-1', function: { name: 'price-order' }, logger: { info: log, warn: log, error: log, debug: log } };
    const call = <T>(run: (callback: Callback) => void) =>
      new Promise<T>((resolve, reject) => run((error, result) => (error ? reject(error) : resolve(result as T))));

    it('loads its tax rates in the initializer, then prices an order', async () => {
      await call((cb) => fn.initializer(context, cb));
      const result = await call((cb) => fn.handler(ORDER, context, cb));
      expect(result).to.deep.equal({ ...PRICED, pricedBy: 'price-order', requestId: 'classic-1' });
    });

    it('fails through the callback on an order without items or an event that is not JSON', async () => {
      let error: Error | undefined;
      await call((cb) => fn.handler(Buffer.from('{"region":"cn-hangzhou","items":[]}'), context, cb)).catch(
        (e: unknown) => (error = e as Error),
      );
      expect(error?.message).to.equal('An order needs at least one item');
      await call((cb) => fn.handler(Buffer.from('not json'), context, cb)).catch((e: unknown) => (error = e as Error));
      expect(error?.message).to.match(/^The event is not JSON: /);
    });
  });

  describe('on the local Function Compute through fc-runtime start (its bootstrap)', () => {
    it('runs the initializer, prices an order from an event file, and runs preStop when the instance stops', async () => {
      const result = await invokeLocal('classic-fc-function', { file: 'events/order.json' });
      expect(result.code, result.stderr).to.equal(0);
      const invokeId = result.idOf('Invoke');
      expect(JSON.parse(result.stdout)).to.deep.equal({ ...PRICED, pricedBy: 'price-order', requestId: invokeId });
      const initializeId = result.idOf('Initialize');
      expect(result.linesOf('Initialize')).to.have.length(1);
      expect(result.linesOf('Initialize')[0]).to.match(logLine(initializeId, 'INFO', 'loaded tax rates for 4 regions'));
      expect(result.linesOf('Invoke')[0]).to.match(logLine(invokeId, 'INFO', 'priced order A-1001: 2 items'));
      const preStop = /^FC PreStop Start RequestId: (\S+)$/m.exec(result.stderr);
      expect(preStop, result.stderr).to.not.equal(null);
      expect(result.stderr).to.match(
        new RegExp(`^\\S+ ${preStop![1]} \\[INFO\\] stopping after 1 orders\\nFC PreStop End RequestId: ${preStop![1]}$`, 'm'),
      );
    });

    it("reports callback(err) as FC's failure: 404, errorMessage, the stack in the log with the request id, exit 1", async () => {
      const result = await invokeLocal('classic-fc-function', { file: 'events/bad-order.json' });
      expect(result.code).to.equal(1);
      const body = JSON.parse(result.stdout) as { errorMessage: string; errorType: string; stackTrace: string[] };
      expect(body.errorMessage).to.equal('An order needs at least one item');
      expect(body.errorType).to.equal('Error');
      expect(body.stackTrace[0]).to.match(/^at exports\.handler \(.*index\.js:\d+:\d+\)$/);
      const id = result.idOf('Invoke');
      expect(result.linesOf('Invoke')[0]).to.match(logLine(id, 'ERROR', 'Error: An order needs at least one item'));
      expect(result.stderr).to.match(new RegExp(`^FC Invoke: 404, x-fc-status 404, .*RequestId: ${id} \\(failed\\)$`, 'm'));
    });

    it('takes the event on stdin too', async () => {
      const result = await invokeLocal('classic-fc-function', { input: 'not json' });
      expect(result.code).to.equal(1);
      expect((JSON.parse(result.stdout) as { errorMessage: string }).errorMessage).to.match(/^The event is not JSON: /);
    });

    describe('behind the HTTP trigger (fc-runtime local start)', () => {
      let fc: LocalFc;

      before(async () => {
        fc = await startLocal('classic-fc-function');
      });

      after(async () => {
        // Unset when before() failed.
        await (fc as LocalFc | undefined)?.stop();
      });

      it('answers HTTP requests with a 404 that says it handles events only', async () => {
        const res = await fetch(`${fc.base}/`);
        expect(res.status).to.equal(404);
        expect(await res.text()).to.equal('This function handles events (POST /invoke); it has no HTTP routes.\n');
        await fc.invocation(fc.requestIdOf(res));
        const initialize = await fc.child.waitFor(/^FC Initialize: 200, /);
        expect(initialize).to.match(/x-fc-status 200/);
      });

      it('runs preStop on Ctrl-C', async () => {
        expect(await fc.stop()).to.equal(0);
        expect(fc.child.stdout).to.match(/^\S+ \S+ \[INFO\] stopping after 0 orders$/m);
      });
    });
  });
});
