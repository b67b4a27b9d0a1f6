import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import type { BackendEvent } from '../../src/backends/backend.interface.js';
import type { Step } from '../support/scripted-backend.js';
import { startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';

// Speed goal (README, Tests and benchmarks): one turn's events relayed and persisted at >= 20,000 per second on a 2-core machine.
const GOAL_PER_SECOND = 20_000;
const EVENTS = 100_000;
const BURST = 1_000;

describe('turn throughput', () => {
  let p: PipelineApp;
  beforeAll(async () => {
    p = await startPipelineApp();
  });
  afterAll(() => p.app.close());

  it(`persists and relays ${EVENTS} streamed chunks at >= ${GOAL_PER_SECOND}/s`, async () => {
    const steps: Step[] = [];
    for (let i = 0; i < EVENTS; i += BURST) steps.push({ burst: Array.from({ length: BURST }, (_, j) => `t${i + j} `) });
    steps.push({ event: { type: 'done', response: 'bench' } as BackendEvent });
    p.backend.script = () => steps;

    const t0 = performance.now();
    const id = await p.ask('bench@example.com');
    const read = await p.read('bench@example.com', id, { dropPings: true, timeoutMs: 240_000 });
    const seconds = (performance.now() - t0) / 1000;
    const [{ n }] = await p.app
      .get(DataSource)
      .query(`SELECT sum(COALESCE(last_seq, seq) - seq + 1)::int AS n FROM paliadin_turn_events WHERE turn_id = $1`, [id]);

    const rate = Math.round(read.events.length / seconds);
    process.stdout.write(
      `\nturn throughput: ${read.events.length} events stored (${n}) and relayed in ${seconds.toFixed(2)} s = ${rate} events/s (goal ${GOAL_PER_SECOND})\n`,
    );
    expect(read.events.length).toBe(EVENTS + 2);
    expect(n).toBe(EVENTS + 2);
    expect(rate).toBeGreaterThanOrEqual(GOAL_PER_SECOND);
  });
});
