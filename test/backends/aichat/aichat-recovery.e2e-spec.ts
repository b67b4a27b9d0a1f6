import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { FakeAichat, frame, startAichatApp } from '../../support/fake-aichat.js';
import { kinds, type TurnApp } from '../../support/pipeline-app.js';
import { waitUntil } from '../../support/wait.js';

const GIVE_UP_MS = 1_500;

describe('aichat backend: stalls, lost connections and recovery', () => {
  const fake = new FakeAichat();
  let t: TurnApp;
  beforeAll(async () => {
    await fake.start();
    // The janitor is slow here, so /recover is what delivers, except where the janitor is the point.
    t = await startAichatApp(fake, {
      PALIADIN_SILENCE_TIMEOUT_MS: '1000',
      PALIADIN_RECOVERY_GIVEUP_MS: String(GIVE_UP_MS),
      PALIADIN_JANITOR_INTERVAL_MS: '600000',
    });
  });
  afterAll(async () => {
    await t?.app.close();
    await fake.stop();
  });

  const recover = async (email: string, turnId: string) =>
    (
      await t
        .http()
        .get(`/api/paliadin/turns/${turnId}/recover`)
        .set('Authorization', await t.auth(email))
    ).body;

  it('a stall ends the turn with upstream_silence after the configured timeout', async () => {
    fake.script = () => ({ stream: [frame({ type: 'chunk', content: 'Ich denke' }), { hang: true }] });
    const id = await t.ask('stall@example.com');
    const read = await t.read('stall@example.com', id, { dropPings: true });
    expect(kinds(read.events)).toEqual(['meta', 'content', 'error']);
    expect(read.events.at(-1)?.data).toMatchObject({ code: 'upstream_silence', message: 'The agent upstream went silent for over 1 s' });
  });

  it('the connection cut mid-stream while aichat finishes the turn: /recover returns recovered, and the SSE log ends with the answer', async () => {
    const email = 'cut@example.com';
    const answer = 'Die ganze Antwort, die aichat zu Ende geschrieben hat.';
    fake.script = (body, f) => {
      const conv = f.record(body); // the user entry now; the answer lands after the cut
      setTimeout(() => conv.turns.push({ role: 'assistant', content: answer, created_at: new Date().toISOString() }), 50);
      return { stream: [frame({ type: 'conversation', conversation_id: conv.id }), frame({ type: 'chunk', content: 'Die ganze' }), { cut: true }] };
    };
    const id = await t.ask(email, { user_message: 'Erzähl' });
    const first = await t.read(email, id, { dropPings: true });
    expect(kinds(first.events)).toEqual(['meta', 'content', 'error']);
    const error = first.events.at(-1)!;
    expect(error.data).toMatchObject({ code: 'upstream_error', retryable: true });
    const conv = [...fake.conversations.values()].find((c) => c.username === 'cut')!;
    // The conversation id was stored the moment it was known, though the turn never got to `done`.
    const [stored] = await t.app.get(DataSource).query(`SELECT aichat_conversation_id FROM paliadin_turns WHERE turn_id = $1`, [id]);
    expect(stored.aichat_conversation_id).toBe(conv.id);
    await waitUntil(() => conv.turns.length === 2, 5_000, 'the fake to finish the turn');

    const recovered = await recover(email, id);
    expect(recovered).toMatchObject({ recovery_state: 'recovered', response: answer, error_code: null });
    const resumed = await t.read(email, id, { dropPings: true, lastEventId: error.id });
    expect(kinds(resumed.events)).toEqual(['content', 'end']);
    expect(resumed.events[0].data).toEqual({ text: answer });
    expect(resumed.events[1].data).toMatchObject({ turn_id: id, aichat_conversation_id: conv.id });
    // Asking again changes nothing.
    expect(await recover(email, id)).toMatchObject({ recovery_state: 'recovered', response: answer });
    expect((await t.read(email, id, { dropPings: true, lastEventId: error.id })).events).toHaveLength(2);
  });

  it('without a stored conversation id, recovery finds the turn by listing the user’s conversations', async () => {
    const email = 'listed@example.com';
    fake.script = (body, f) => {
      f.record(body, 'Gefunden über die Liste.');
      return { stream: [frame({ type: 'chunk', content: 'Gef' }), { cut: true }] }; // no conversation frame
    };
    const id = await t.ask(email, { user_message: 'Finde mich' });
    await t.read(email, id, { dropPings: true });
    expect(await recover(email, id)).toMatchObject({ recovery_state: 'recovered', response: 'Gefunden über die Liste.' });
    expect(fake.requests.some((r) => r.path === '/chat/conversations?persona=paliadin&username=listed')).toBe(true);
  });

  it('aichat knows nothing: pending, then lost once the turn is older than the give-up age', async () => {
    const email = 'nothing@example.com';
    fake.script = () => ({ stream: [frame({ type: 'chunk', content: 'x' }), { cut: true }] });
    const id = await t.ask(email, { user_message: 'Verloren' });
    await t.read(email, id, { dropPings: true });
    expect(await recover(email, id)).toMatchObject({ recovery_state: 'pending', response: null });
    await waitUntil(async () => (await recover(email, id)).recovery_state === 'lost', GIVE_UP_MS + 10_000, 'lost after the give-up age');
  });

  it('aichat unreachable: pending, never lost, even past the give-up age', async () => {
    const email = 'down@example.com';
    fake.script = () => ({ stream: [frame({ type: 'chunk', content: 'x' }), { cut: true }] });
    const id = await t.ask(email, { user_message: 'Niemand da' });
    await t.read(email, id, { dropPings: true });
    const started = Date.now();
    await fake.stop();
    try {
      await waitUntil(() => Date.now() - started > GIVE_UP_MS, GIVE_UP_MS + 5_000, 'the give-up age to pass');
      expect(await recover(email, id)).toMatchObject({ recovery_state: 'pending' });
    } finally {
      await fake.start();
    }
  });

  it('a turn that is still running is pending', async () => {
    const email = 'running@example.com';
    fake.script = () => ({ stream: [{ hang: true }] });
    const id = await t.ask(email);
    expect(await recover(email, id)).toMatchObject({ recovery_state: 'pending', finished_at: null });
  });
});

describe('aichat backend: the janitor recovers without any client', () => {
  const fake = new FakeAichat();
  let t: TurnApp;
  beforeAll(async () => {
    await fake.start();
    t = await startAichatApp(fake, { PALIADIN_JANITOR_INTERVAL_MS: '200' });
  });
  afterAll(async () => {
    await t?.app.close();
    await fake.stop();
  });

  it('a turn cut off mid-stream gets its answer in the row and the event log', async () => {
    const email = 'janitor@example.com';
    let finish!: () => void;
    fake.script = (body, f) => {
      const conv = f.record(body);
      finish = () => conv.turns.push({ role: 'assistant', content: 'Vom Hausmeister zugestellt.', created_at: new Date().toISOString() });
      return { stream: [frame({ type: 'conversation', conversation_id: conv.id }), { cut: true }] };
    };
    const id = await t.ask(email, { user_message: 'Hausmeister?' });
    const first = await t.read(email, id, { dropPings: true });
    expect(first.events.at(-1)?.data).toMatchObject({ code: 'upstream_error' });
    finish();
    const row = async () =>
      (
        await t
          .http()
          .get(`/api/paliadin/turns/${id}`)
          .set('Authorization', await t.auth(email))
      ).body;
    await waitUntil(async () => (await row()).response !== null, 15_000, 'the janitor to deliver');
    expect(await row()).toMatchObject({ response: 'Vom Hausmeister zugestellt.', error_code: null });
    const resumed = await t.read(email, id, { dropPings: true, lastEventId: first.events.at(-1)!.id });
    expect(kinds(resumed.events)).toEqual(['content', 'end']);
  });
});
