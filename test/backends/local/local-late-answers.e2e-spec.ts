import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startClaudeAgent, writeAnswer, type ClaudeAgentFixture } from '../../support/claude-agent.js';
import { kinds, startBackendApp, type TurnApp } from '../../support/pipeline-app.js';
import { waitUntil } from '../../support/wait.js';

const USER = 'late@example.com';
const WAIT_MS = 1_500;

describe('local backend: answers that come after the wait window', () => {
  let agent: ClaudeAgentFixture;
  let t: TurnApp;
  let releaseLate!: () => void;

  beforeAll(async () => {
    const late = new Promise<void>((r) => (releaseLate = r));
    agent = await startClaudeAgent((e) =>
      e.message.startsWith('slow')
        ? // Held past the wait window: the Write comes only when the test says so.
          writeAnswer(e, 'Spät, aber da: [Fall 9](paliad:case/9)\n<!-- paliadin-meta {"used_tools":["Read"],"rows_seen":[9],"classifier_tag":"late"} -->', {
            hold: late,
          })
        : writeAnswer(e, `quick answer to ${e.message}`),
    );
    t = await startBackendApp({ ...agent.env, PALIADIN_RESPONSE_WAIT_MS: String(WAIT_MS), PALIADIN_JANITOR_INTERVAL_MS: '200' });
  });

  afterAll(async () => {
    releaseLate?.();
    await t?.app.close();
    await agent?.stop();
  });

  const row = async (turnId: string) =>
    (
      await t
        .http()
        .get(`/api/paliadin/turns/${turnId}`)
        .set('Authorization', await t.auth(USER))
    ).body;

  it('times out, then the janitor completes the row and the event log; a client resuming with Last-Event-ID gets the late answer', async () => {
    const turnId = await t.ask(USER, { user_message: 'slow question' });
    const first = await t.read(USER, turnId, { dropPings: true, timeoutMs: 20_000 });
    expect(kinds(first.events).at(-1)).toBe('error');
    const error = first.events.at(-1)!;
    expect(error.data).toMatchObject({ code: 'timeout', retryable: true });
    expect((error.data as { message: string }).message).toContain('1.5 s');
    expect(await row(turnId)).toMatchObject({ error_code: 'timeout', response: null });

    // Nobody asks: the agent writes the answer, the janitor finds it on its own.
    releaseLate();
    await waitUntil(async () => (await row(turnId)).response !== null, 20_000, 'the janitor to deliver the late answer');
    expect(await row(turnId)).toMatchObject({
      response: 'Spät, aber da: [Fall 9](paliad:case/9)',
      error_code: null,
      chip_count: 1,
      rows_seen: [9],
      classifier_tag: 'late',
    });
    expect((await row(turnId)).duration_ms).toBeGreaterThanOrEqual(WAIT_MS);

    const resumed = await t.read(USER, turnId, { dropPings: true, lastEventId: error.id });
    expect(kinds(resumed.events)).toEqual(['content', 'end']);
    expect(resumed.events[0].data).toEqual({ text: 'Spät, aber da: [Fall 9](paliad:case/9)' });
    expect(resumed.events[1].data).toMatchObject({ turn_id: turnId, used_tools: ['Read'], rows_seen: [9], chip_count: 1, classifier_tag: 'late' });
    expect(Number(resumed.events[0].id)).toBe(Number(error.id) + 1);
    expect(resumed.ended).toBe(true);

    // /recover agrees, and the next turn of the same user runs normally on the same agent.
    const recovered = await t
      .http()
      .get(`/api/paliadin/turns/${turnId}/recover`)
      .set('Authorization', await t.auth(USER));
    expect(recovered.body).toMatchObject({ recovery_state: 'recovered', response: 'Spät, aber da: [Fall 9](paliad:case/9)' });
    const next = await t.ask(USER, { user_message: 'next' });
    const read = await t.read(USER, next, { dropPings: true, timeoutMs: 20_000 });
    expect(read.events.find((e) => e.event === 'content')?.data).toEqual({ text: 'quick answer to next' });
  });

  it('old answer files are deleted by the janitor, fresh ones kept', async () => {
    const { utimes, writeFile } = await import('node:fs/promises');
    const old = `${agent.responseDir}/00000000-0000-4000-8000-000000000001.md`;
    const fresh = `${agent.responseDir}/00000000-0000-4000-8000-000000000002.md`;
    await writeFile(old, 'old');
    await writeFile(fresh, 'fresh');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600_000);
    await utimes(old, twoDaysAgo, twoDaysAgo);
    await waitUntil(() => !existsSync(old), 10_000, 'the old answer file to be swept');
    expect(existsSync(fresh)).toBe(true);
  });
});
