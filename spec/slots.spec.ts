import { expect } from 'chai';
import { Slots } from '../lib/cli/local/slots';

describe('Slots (instanceConcurrency on the one local instance)', () => {
  it('lets `size` holders in at once and the rest in the order they came, each as a slot is released', async () => {
    const slots = new Slots(2);
    const order: string[] = [];
    const releases = new Map<string, () => void>();
    const take = (name: string) =>
      slots.take().then((release) => {
        order.push(name);
        releases.set(name, release);
      });
    const taken = ['a', 'b', 'c', 'd'].map(take);
    await Promise.all(taken.slice(0, 2));
    expect(order).to.deep.equal(['a', 'b']);
    expect(slots.full).to.equal(true);
    releases.get('b')!();
    await taken[2];
    expect(order).to.deep.equal(['a', 'b', 'c']);
    releases.get('a')!();
    await taken[3];
    expect(order).to.deep.equal(['a', 'b', 'c', 'd']);
  });

  it('counts a release once, however often it is called', async () => {
    const slots = new Slots(1);
    const release = await slots.take();
    release();
    release();
    await slots.take();
    expect(slots.full).to.equal(true);
  });

  it('never fills with Infinity (no instanceConcurrency given)', async () => {
    const slots = new Slots(Infinity);
    await Promise.all(Array.from({ length: 100 }, () => slots.take()));
    expect(slots.full).to.equal(false);
  });
});
