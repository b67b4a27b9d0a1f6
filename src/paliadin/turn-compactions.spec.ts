import { describe, expect, it } from '@jest/globals';
import { TurnCompactions } from './turn-compactions.js';
import { waitUntil } from '../../test/support/wait.js';

const QUIET = 40;
const MAX_WAIT = 400;

function setup(fail = false) {
  const folded: string[][] = [];
  const errors: string[] = [];
  const c = new TurnCompactions(
    (turnIds) => {
      folded.push(turnIds);
      return fail ? Promise.reject(new Error('refused')) : Promise.resolve(turnIds.map(() => true as const));
    },
    (turnId) => errors.push(turnId),
    QUIET,
    MAX_WAIT,
  );
  return { c, folded, errors };
}

/** Calls live() every 10 ms until stopped. */
function busy(c: TurnCompactions): () => void {
  c.live();
  const t = setInterval(() => c.live(), 10);
  return () => clearInterval(t);
}

describe('TurnCompactions: folding waits for a pause in live work', () => {
  it('with nothing live, the turns that ended together are folded together, once the quiet time has passed', async () => {
    const { c, folded } = setup();
    c.add('a');
    c.add('b');
    expect(folded).toEqual([]);
    await waitUntil(() => folded.length > 0, 2_000, 'the fold');
    expect(folded).toEqual([['a', 'b']]);
  });

  it('while flushes go on, nothing is folded; it is once they pause', async () => {
    const { c, folded } = setup();
    const stop = busy(c);
    c.add('a');
    await new Promise((r) => setTimeout(r, MAX_WAIT / 2));
    expect(folded).toEqual([]);
    stop();
    await waitUntil(() => folded.length > 0, 2_000, 'the fold after the pause');
    expect(folded).toEqual([['a']]);
  });

  it('however busy the instance, a turn waits at most the longest wait, and then the turns go one per statement', async () => {
    const { c, folded } = setup();
    const stop = busy(c);
    try {
      const t0 = Date.now();
      c.add('a');
      c.add('b');
      await waitUntil(() => folded.length > 0, 5_000, 'the fold');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(MAX_WAIT - 5);
      // Folded while flushes go on: one turn per statement, one after another.
      await waitUntil(() => folded.length === 2, 5_000, 'the second fold');
      expect(folded).toEqual([['a'], ['b']]);
    } finally {
      stop();
    }
  });

  it('a fold the database refuses is reported per turn; after stop() nothing waiting is folded', async () => {
    const failing = setup(true);
    failing.c.add('x');
    await waitUntil(() => failing.errors.length > 0, 2_000, 'the error');
    expect(failing.errors).toEqual(['x']);

    const { c, folded } = setup();
    c.add('a');
    c.stop();
    c.add('b');
    await new Promise((r) => setTimeout(r, QUIET * 4));
    expect(folded).toEqual([]);
  });
});
