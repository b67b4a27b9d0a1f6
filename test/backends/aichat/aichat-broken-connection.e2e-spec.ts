import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeAichat, frame, startAichatApp, type Breakage } from '../../support/fake-aichat.js';
import { kinds, type TurnApp } from '../../support/pipeline-app.js';
import { waitUntil } from '../../support/wait.js';

// aichat took the turn and finishes it, but the connection to us breaks: each way it can break.
const BREAKAGES: [Breakage, string][] = [
  ['reset-before-response', 'ECONNRESET'],
  ['close-before-response', 'socket hang up'],
  ['cut-mid-response', 'aborted'],
  ['proxy-502', 'aichat answered 502 without an error envelope (a proxy in front of it?): 502 Bad Gateway'],
];
const MODES: [string, Record<string, string>][] = [
  ['streaming', {}],
  ['one-shot', { PALIADIN_AICHAT_STREAM: 'false' }],
];

const emailFor = (mode: string, how: Breakage, tag = '') => `${tag}${mode}-${how}@example.com`.replace(/-/g, '');

describe.each(MODES)('aichat backend (%s): a broken connection after aichat took the turn does not lose the answer', (mode, modeEnv) => {
  const fake = new FakeAichat();
  let t: TurnApp;
  beforeAll(async () => {
    await fake.start();
    // The janitor is out of the way here: /recover is what delivers.
    t = await startAichatApp(fake, { ...modeEnv, PALIADIN_JANITOR_INTERVAL_MS: '600000' });
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

  it.each(BREAKAGES)('%s: upstream_error (retryable); /recover finds the answer and the stream resumed from the error ends with it', async (how, detail) => {
    const email = emailFor(mode, how);
    const answer = `Die ganze Antwort, obwohl die Verbindung brach (${how}).`;
    fake.script = (body, f) => f.lostButFinished(body, answer, how, mode === 'one-shot');
    const id = await t.ask(email, { user_message: `Frage bei ${how}` });
    const first = await t.read(email, id, { dropPings: true });
    expect(kinds(first.events)).toEqual(mode === 'streaming' && how === 'cut-mid-response' ? ['meta', 'content', 'error'] : ['meta', 'error']);
    const error = first.events.at(-1)!;
    expect(error.data).toMatchObject({ code: 'upstream_error', retryable: true });
    expect((error.data as { message: string }).message).toContain(detail);

    expect(await recover(email, id)).toMatchObject({ recovery_state: 'recovered', response: answer, error_code: null });
    const resumed = await t.read(email, id, { dropPings: true, lastEventId: error.id });
    expect(kinds(resumed.events)).toEqual(['content', 'end']);
    expect(resumed.events[0].data).toEqual({ text: answer });
    expect(resumed.events[1].data).toMatchObject({ turn_id: id });
  });
});

describe.each(MODES)('aichat backend (%s): the janitor delivers answers lost to a broken connection, with no client asking', (mode, modeEnv) => {
  const fake = new FakeAichat();
  let t: TurnApp;
  beforeAll(async () => {
    await fake.start();
    t = await startAichatApp(fake, { ...modeEnv, PALIADIN_JANITOR_INTERVAL_MS: '200' });
  });
  afterAll(async () => {
    await t?.app.close();
    await fake.stop();
  });

  it('every kind of break: the row gets the answer, the event log content + end', async () => {
    const turns: { how: Breakage; email: string; id: string; errorId: string; answer: string }[] = [];
    for (const [how] of BREAKAGES) {
      const email = emailFor(mode, how, 'janitor');
      const answer = `Vom Hausmeister nachgereicht (${how}).`;
      fake.script = (body, f) => f.lostButFinished(body, answer, how, mode === 'one-shot');
      const id = await t.ask(email, { user_message: `Hausmeister bei ${how}` });
      const first = await t.read(email, id, { dropPings: true });
      // The janitor passes every 200 ms: it may have delivered the answer (content, end) before this read replayed the turn.
      const error = first.events.find((e) => e.event === 'error');
      expect({ how, error: error?.data }).toMatchObject({ how, error: { code: 'upstream_error', retryable: true } });
      turns.push({ how, email, id, errorId: error!.id!, answer });
    }
    for (const turn of turns) {
      const row = async () =>
        (
          await t
            .http()
            .get(`/api/paliadin/turns/${turn.id}`)
            .set('Authorization', await t.auth(turn.email))
        ).body;
      await waitUntil(async () => (await row()).response !== null, 15_000, `the janitor to deliver the answer lost to ${turn.how}`);
      expect(await row()).toMatchObject({ response: turn.answer, error_code: null });
      const resumed = await t.read(turn.email, turn.id, { dropPings: true, lastEventId: turn.errorId });
      expect(kinds(resumed.events)).toEqual(['content', 'end']);
      expect(resumed.events[0].data).toEqual({ text: turn.answer });
    }
  });
});

describe('aichat backend: a definitive refusal is never asked about later', () => {
  const fake = new FakeAichat();
  let t: TurnApp;
  beforeAll(async () => {
    await fake.start();
    // A fresh app: its health gate has no cached success, so the first turn probes.
    t = await startAichatApp(fake, { PALIADIN_JANITOR_INTERVAL_MS: '200' });
  });
  afterAll(async () => {
    await t?.app.close();
    await fake.stop();
  });

  it('the health gate down, error envelopes, an error frame: no /chat/conversations request for them, by /recover or the janitor', async () => {
    const listedFor = (username: string) => fake.requests.some((r) => r.path === `/chat/conversations?persona=paliadin&username=${username}`);
    const refused: { username: string; id: string; code: string }[] = [];
    const refuse = async (username: string, code: string) => {
      const email = `${username}@example.com`;
      const id = await t.ask(email, { user_message: `Abgelehnt (${username})` });
      const read = await t.read(email, id, { dropPings: true });
      expect({ username, error: read.events.at(-1)!.data }).toMatchObject({ username, error: { code } });
      refused.push({ username, id, code });
    };

    fake.health = { status: 200, body: { ok: false, claude_reachable: false, tmux_reachable: true } };
    await refuse('refusedgate', 'mriver_unreachable');
    expect(fake.turnBodies()).toHaveLength(0); // the turn never went out
    fake.health = { status: 200, body: { ok: true, claude_reachable: true, tmux_reachable: true } };
    fake.script = () => ({ status: 401, error: { code: 'auth_failed', message: 'token not accepted' } });
    await refuse('refusedauth', 'shim_auth_failed');
    fake.script = () => ({ status: 404, error: { code: 'persona_unknown', message: 'no such persona' } });
    await refuse('refusedpersona', 'shim_error');
    fake.script = () => ({ status: 503, error: { code: 'mriver_unreachable', message: 'mriver is down' } });
    await refuse('refusedmriver', 'mriver_unreachable');
    fake.script = () => ({ stream: [frame({ type: 'error', error: { code: 'shim_error', message: 'the shim refused', retryable: false } })] });
    await refuse('refusedframe', 'shim_error');

    // /recover does not ask aichat about them: they stay pending (until the give-up age), unasked.
    for (const r of refused) {
      const res = await t
        .http()
        .get(`/api/paliadin/turns/${r.id}/recover`)
        .set('Authorization', await t.auth(`${r.username}@example.com`));
      expect({ username: r.username, body: res.body }).toMatchObject({ username: r.username, body: { recovery_state: 'pending', error_code: r.code } });
    }

    // A later turn that is a candidate: once the janitor has delivered it, a pass saw every
    // earlier-finished row (it takes them oldest first), so the refusals were looked at too.
    const control = 'refusedcontrol';
    fake.script = (body, f) => f.lostButFinished(body, 'Die Kontrolle kam an.', 'reset-before-response');
    const id = await t.ask(`${control}@example.com`, { user_message: 'Kontrolle' });
    await t.read(`${control}@example.com`, id, { dropPings: true });
    const row = async () =>
      (
        await t
          .http()
          .get(`/api/paliadin/turns/${id}`)
          .set('Authorization', await t.auth(`${control}@example.com`))
      ).body;
    await waitUntil(async () => (await row()).response !== null, 15_000, 'the janitor to deliver the control turn');
    expect(listedFor(control)).toBe(true);
    for (const r of refused) expect({ username: r.username, asked: listedFor(r.username) }).toEqual({ username: r.username, asked: false });
  });
});
