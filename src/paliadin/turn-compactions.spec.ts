import { describe, expect, it } from '@jest/globals';
import { CROWD_TURNS, TurnCompactions } from './turn-compactions.js';
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

/** Flushes of `turns` turns every 10 ms until stopped. */
function busy(c: TurnCompactions, turns = CROWD_TURNS): () => void {
  c.live(turns);
  const t = setInterval(() => c.live(turns), 10);
  return () => clearInterval(t);
}

describe('TurnCompactions: while a crowd streams, folding waits for a pause', () => {
  it('with a few turns streaming, a turn is folded at once', () => {
    const { c, folded } = setup();
    const stop = busy(c, CROWD_TURNS - 1);
    try {
      c.add('a');
      expect(folded).toEqual([['a']]);
    } finally {
      stop();
    }
  });

  it('once a crowd has streamed, the turns that ended together are folded together after the quiet time', async () => {
    const { c, folded } = setup();
    c.live(CROWD_TURNS);
    c.add('a');
    c.add('b');
    expect(folded).toEqual([]);
    await waitUntil(() => folded.length > 0, 2_000, 'the fold');
    expect(folded).toEqual([['a', 'b']]);
  });

  it('while a crowd streams, nothing is folded; it is once the flushes pause', async () => {
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
    c.live(CROWD_TURNS);
    c.add('a');
    void c.stop();
    c.add('b');
    await new Promise((r) => setTimeout(r, QUIET * 4));
    expect(folded).toEqual([]);
  });

  it('stop() resolves only once the folds already sent have ended, so the app closes no connection under one', async () => {
    let release!: () => void;
    const c = new TurnCompactions(
      (turnIds) => new Promise((resolve) => (release = () => resolve(turnIds.map(() => true as const)))),
      () => undefined,
      QUIET,
      MAX_WAIT,
    );
    c.add('a');
    let stopped = false;
    const stopping = c.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, QUIET));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(stopped).toBe(true);
  });

  it('a fold that never ends holds stop() up for the longest stop wait only', async () => {
    const STOP_WAIT = 60;
    const c = new TurnCompactions(
      () => new Promise<true[]>(() => undefined),
      () => undefined,
      QUIET,
      MAX_WAIT,
      STOP_WAIT,
    );
    c.add('a');
    const t0 = Date.now();
    await c.stop();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(STOP_WAIT - 5);
    expect(Date.now() - t0).toBeLessThan(MAX_WAIT);
  });
});
