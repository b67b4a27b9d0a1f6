import { client, el, lang, signIn, signOut } from './common.js';
import { closeOpenCards, requestCard, resolveCard } from './requests.js';

const COPY = {
  de: {
    signInLabel: 'Benutzer-Token (JWT)',
    signIn: 'Anmelden',
    signInFailed: 'Dieser Token wurde nicht angenommen.',
    placeholder: 'Frag Paliadin …',
    send: 'Senden',
    cancel: 'Abbrechen',
    reset: 'Neues Gespräch',
    signOut: 'Abmelden',
    thinking: (s) => `Denkt nach … ${s} s`,
    reconnecting: 'Verbindung unterbrochen, verbinde neu …',
    recovering: 'Lade frische Antwort …',
    lost: 'Antwort konnte nicht zugestellt werden — bitte erneut stellen',
    unavailable: 'Paliadin ist für dieses Konto nicht verfügbar.',
    failed: 'Die Frage konnte nicht gesendet werden.',
    errors: {
      upstream_error: 'Der Assistent hat einen Fehler gemeldet.',
      tmux_unavailable: 'Der Assistent konnte nicht gestartet werden.',
      mriver_unreachable: 'Der Assistent ist gerade nicht erreichbar.',
      shim_auth_failed: 'Der Assistent hat die Anmeldung des Dienstes abgelehnt.',
      shim_error: 'Beim Assistenten ist ein Fehler aufgetreten.',
      timeout: 'Der Assistent hat nicht rechtzeitig geantwortet.',
      upstream_silence: 'Der Assistent hat zu lange nichts mehr gesagt.',
      jwt_mint_failed: 'Die Anmeldung beim Assistenten ist fehlgeschlagen.',
      disabled: 'Paliadin ist abgeschaltet.',
      interrupted: 'Der Server wurde neu gestartet; bitte erneut fragen.',
      cancelled: 'Abgebrochen.',
      refused: 'Der Assistent hat die Antwort abgelehnt.',
    },
    thought: 'Gedanken',
    plan: 'Plan',
    unknownError: 'Etwas ist schiefgegangen.',
    hint: 'Frag Paliadin etwas – zum Beispiel „Welche Fristen laufen diese Woche ab?“ oder „Wer betreut Fall 42?“. Enter sendet, Umschalt+Enter macht eine neue Zeile.',
    session: 'Sitzung ansehen',
  },
  en: {
    signInLabel: 'User token (JWT)',
    signIn: 'Sign in',
    signInFailed: 'This token was not accepted.',
    placeholder: 'Ask Paliadin …',
    send: 'Send',
    cancel: 'Cancel',
    reset: 'New conversation',
    signOut: 'Sign out',
    thinking: (s) => `Thinking … ${s} s`,
    reconnecting: 'Connection lost, reconnecting …',
    recovering: 'Fetching the answer …',
    lost: 'The answer could not be delivered — please ask again',
    unavailable: 'Paliadin is not available for this account.',
    failed: 'The question could not be sent.',
    errors: {
      upstream_error: 'The assistant reported an error.',
      tmux_unavailable: 'The assistant could not be started.',
      mriver_unreachable: 'The assistant cannot be reached right now.',
      shim_auth_failed: 'The assistant refused the service’s credentials.',
      shim_error: 'Something went wrong on the assistant’s side.',
      timeout: 'The assistant did not answer in time.',
      upstream_silence: 'The assistant went quiet for too long.',
      jwt_mint_failed: 'Signing in to the assistant failed.',
      disabled: 'Paliadin is switched off.',
      interrupted: 'The server restarted; please ask again.',
      cancelled: 'Cancelled.',
      refused: 'The assistant declined to answer.',
    },
    thought: 'Thoughts',
    plan: 'Plan',
    unknownError: 'Something went wrong.',
    hint: 'Ask Paliadin something – for example “Which deadlines run out this week?” or “Who handles case 42?”. Enter sends, Shift+Enter starts a new line.',
    session: 'Watch session',
  },
}[lang];

// Errors after which the answer may still turn up (late answer, recovery).
const RECOVERABLE = new Set(['timeout', 'upstream_error', 'upstream_silence', 'interrupted']);
const SESSION_KEY = 'paliadin_session';
const $ = (id) => document.getElementById(id);
let running; // the turn being streamed: { id }
// The turn streams' client: it gives a stream up after a few failed tries in a row (some seconds), and the page asks /recover instead.
const turnClient = client({ retry: { streamAttempts: 5 } });

/** Markdown to safe HTML; `paliad:` links become chips the host application can act on. */
function render(markdown) {
  const html = DOMPurify.sanitize(marked.parse(markdown), { ALLOWED_URI_REGEXP: /^(?:(?:https?|mailto|paliad):|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i });
  const box = el('div', { class: 'markdown' });
  box.innerHTML = html;
  for (const a of box.querySelectorAll('a[href^="paliad:"]')) {
    a.classList.add('chip');
    a.dataset.paliad = a.getAttribute('href').slice('paliad:'.length);
    a.addEventListener('click', (e) => {
      e.preventDefault();
      window.dispatchEvent(new CustomEvent('paliad:navigate', { detail: a.dataset.paliad }));
    });
  }
  for (const a of box.querySelectorAll('a:not(.chip)')) a.setAttribute('rel', 'noopener noreferrer');
  return box;
}

function bubble(role, turnId) {
  const node = el('article', { class: `bubble ${role}` });
  if (turnId) node.dataset.turn = turnId;
  $('conversation').append(node);
  node.scrollIntoView({ block: 'end' });
  return node;
}

function showAnswer(node, text) {
  node.querySelector('.markdown')?.remove();
  // After the thought and plan, when the agent gave them: they came first.
  const before = node.querySelector('ul.plan') ?? node.querySelector('details.thought');
  if (before) before.after(render(text));
  else node.prepend(render(text));
}

/** The agent's reasoning (ACP `thought`): collapsed under the answer's bubble top, opened by who wants to read it. */
function showThought(node, text) {
  let box = node.querySelector('details.thought');
  if (!box) {
    box = el('details', { class: 'thought' }, el('summary', { text: COPY.thought }), el('p'));
    node.prepend(box);
  }
  box.querySelector('p').textContent = text;
}

/** The agent's plan (ACP `plan`), whole each time: a checklist, done steps ticked, the current one marked. */
function showPlan(node, entries) {
  const list = el('ul', { class: 'plan', 'aria-label': COPY.plan });
  for (const entry of entries) {
    const item = el('li', { class: entry.status, text: entry.content });
    item.dataset.status = entry.status;
    list.append(item);
  }
  const old = node.querySelector('ul.plan');
  const thought = node.querySelector('details.thought');
  if (old) old.replaceWith(list);
  else if (thought) thought.after(list);
  else node.prepend(list);
}

function showStatus(node, text, kind) {
  let status = node.querySelector('.status');
  if (!text) return status?.remove();
  if (!status) status = node.appendChild(el('p', { class: 'status' }));
  status.className = `status ${kind || ''}`;
  status.textContent = text;
}

function errorText(code) {
  return COPY.errors[code] || COPY.unknownError;
}

/** The thinking pulse: a dot and a seconds counter that keeps counting between events. */
function pulse(node) {
  let seconds = 0;
  let timer;
  const dot = el('div', { class: 'pulse', 'aria-label': 'thinking' }, el('span', { class: 'dot' }), el('span', { class: 'seconds' }));
  const draw = () => (dot.querySelector('.seconds').textContent = COPY.thinking(seconds));
  return {
    show(elapsed) {
      seconds = Math.max(seconds, elapsed);
      draw();
      if (!dot.isConnected) node.append(dot);
      clearInterval(timer);
      timer = setInterval(() => {
        seconds++;
        draw();
      }, 1000);
    },
    hide() {
      clearInterval(timer);
      dot.remove();
    },
  };
}

/**
 * Reads a turn's events with the client SDK: it resumes a dropped stream by
 * itself with Last-Event-ID (each event once, in order), while the bubble
 * says it is reconnecting. When the stream cannot be had back (a few tries
 * in a row fail), or ends in an error after which the answer may still
 * come, /recover is polled instead.
 */
function follow(turnId, node) {
  let text = '';
  let thought = '';
  const thinking = pulse(node);
  // Something to see from the first moment, before the first event.
  thinking.show(0);
  running = { id: turnId };
  $('cancel').hidden = false;

  const finish = () => {
    thinking.hide();
    closeOpenCards(node);
    if (running?.id === turnId) running = undefined;
    $('cancel').hidden = true;
  };
  const show = (event, data) => {
    switch (event) {
      case 'thinking':
        // While a request waits, its card counts the time: no thinking pulse beside it.
        if (data.waiting_for) thinking.hide();
        else thinking.show(data.elapsed_seconds);
        break;
      // The agent asks (docs/requests.md): a card to answer, in the answer's bubble.
      case 'permission':
      case 'question':
      case 'client_tool':
        thinking.hide();
        node.append(requestCard(event, data, turnId));
        node.scrollIntoView({ block: 'end' });
        break;
      case 'resolved':
        resolveCard(node.querySelector(`.request[data-request="${data.request_id}"]`), data);
        thinking.show(0);
        break;
      case 'thought':
        thought += data.delta ?? '';
        showThought(node, thought);
        break;
      case 'plan':
        showPlan(node, data.entries);
        break;
      case 'content':
        text += data.delta ?? data.text ?? '';
        thinking.hide();
        showAnswer(node, text);
        break;
      case 'end':
        finish();
        node.classList.add('done');
        break;
      case 'error':
        finish();
        showStatus(node, errorText(data.code), 'error');
        node.dataset.error = data.code;
        if (RECOVERABLE.has(data.code)) void recover(turnId, node, errorText(data.code));
        break;
    }
  };
  const onState = (state) => showStatus(node, state === 'reconnecting' ? COPY.reconnecting : '', 'muted');
  void (async () => {
    try {
      for await (const { event, data } of turnClient.turns.events(turnId, { onState })) show(event, data);
    } catch (e) {
      // 401: the page is on its way back to sign-in already.
      if (e?.status === 401) return;
      finish();
      void recover(turnId, node);
    }
  })();
}

/** Polls /recover until the answer is there or given up on. */
async function recover(turnId, node, prefix) {
  showStatus(node, prefix ? `${prefix} ${COPY.recovering}` : COPY.recovering, 'muted');
  for (let delay = 1000; ; delay = Math.min(delay * 2, 15000)) {
    try {
      const turn = await client().turns.recover(turnId);
      if (turn.recovery_state === 'recovered') {
        showAnswer(node, turn.response);
        showStatus(node, '');
        node.classList.add('done');
        return;
      }
      if (turn.recovery_state === 'lost') return showStatus(node, COPY.lost, 'error');
    } catch {
      // offline for a moment, or refused: keep trying
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

function sessionId() {
  let id = localStorage.getItem(SESSION_KEY);
  if (!id) {
    id = crypto.randomUUID();
    localStorage.setItem(SESSION_KEY, id);
  }
  return id;
}

async function loadHistory() {
  let turns;
  try {
    turns = await client().turns.history({ session: sessionId() });
  } catch (e) {
    // 401: the page is on its way back to sign-in already.
    if (e?.status === 401) return false;
    if (e?.status !== 404) throw e;
    $('conversation').append(el('p', { class: 'status error', text: COPY.unavailable }));
    return false;
  }
  for (const turn of turns) {
    bubble('user', turn.turn_id).append(el('p', { text: turn.user_message }));
    const answer = bubble('assistant', turn.turn_id);
    if (turn.response) showAnswer(answer, turn.response);
    else if (turn.error_code) showStatus(answer, errorText(turn.error_code), 'error');
    else follow(turn.turn_id, answer); // still running
  }
  return true;
}

async function ask(message) {
  document.querySelector('#conversation .hint')?.remove();
  bubble('user').append(el('p', { text: message }));
  const node = bubble('assistant');
  // Three dots until the turn is accepted and its stream shows the thinking pulse.
  node.classList.add('pending');
  let turnId;
  try {
    ({ turn_id: turnId } = await client().turns.create({ user_message: message, session_id: sessionId(), page_origin: location.pathname }));
  } catch (e) {
    return showStatus(node, `${COPY.failed} ${e?.status ? e.message : ''}`.trim(), 'error');
  }
  node.dataset.turn = turnId;
  follow(turnId, node);
  void showSessionLink();
}

/** A link to the session page of the user's own default session (once it exists: after the first turn). */
async function showSessionLink() {
  const list = await client()
    .sessions.list({ status: 'active' })
    .catch(() => undefined);
  if (!list) return;
  const own = list.sessions.find((s) => s.name === 'default');
  $('session-link').hidden = !own;
  if (own) $('session-link').href = `/admin/paliadin/sessions/${own.id}`;
}

async function main() {
  document.documentElement.lang = lang;
  $('token-input').previousElementSibling.textContent = COPY.signInLabel;
  $('signin').querySelector('button').textContent = COPY.signIn;
  $('message').placeholder = COPY.placeholder;
  $('send').textContent = COPY.send;
  $('cancel').textContent = COPY.cancel;
  $('reset').textContent = COPY.reset;
  $('signout').textContent = COPY.signOut;

  await signIn($('signin'), COPY);
  document.querySelector('header .actions').hidden = false;
  if (!(await loadHistory())) return;
  if (!$('conversation').children.length) $('conversation').append(el('p', { class: 'hint', text: COPY.hint }));
  $('session-link').textContent = COPY.session;
  void showSessionLink();
  $('ask').hidden = false;
  $('ask').addEventListener('submit', (e) => {
    e.preventDefault();
    const message = $('message').value.trim();
    if (!message || running) return;
    $('message').value = '';
    void ask(message);
  });
  $('message').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      $('ask').requestSubmit();
    }
  });
  $('cancel').addEventListener(
    'click',
    () =>
      running &&
      client()
        .turns.cancel(running.id)
        .catch(() => undefined),
  );
  $('reset').addEventListener('click', async () => {
    await client().turns.reset();
    localStorage.removeItem(SESSION_KEY);
    $('conversation').replaceChildren(el('p', { class: 'hint', text: COPY.hint }));
    $('session-link').hidden = true;
  });
  $('signout').addEventListener('click', () => void signOut());
}

void main();
