import { client, el, ifAllowed, lang, signIn, signOut } from './common.js';
import { closeOpenCards, isRequest, requestCard, resolveCard } from './requests.js';

const COPY = {
  de: {
    signInLabel: 'Benutzer-Token (JWT) oder API-Schlüssel',
    signIn: 'Anmelden',
    signInFailed: 'Dieser Token wurde nicht angenommen.',
    signOut: 'Abmelden',
    notFound: 'Diese Sitzung gibt es nicht, oder sie gehört einem anderen Konto. Eigene Sitzungen sieht jeder; alle Sitzungen nur Owner und Admin-Schlüssel.',
    checkin: 'Sitzung beenden',
    checkinConfirm: 'Diese Sitzung beenden? Ihr laufender Turn wird abgebrochen, ihr Agent gestoppt.',
    terminate: 'Zwangsweise beenden',
    terminateConfirm: 'Diese Sitzung zwangsweise beenden (Admin)?',
    terminal: 'Terminal',
    events: 'Ereignisse',
    noTerminal: 'Dieser Agent läuft ohne Terminal; seine Turns, Werkzeuge und Antworten erscheinen rechts, während sie entstehen.',
    waiting: 'Warte auf den Bildschirm des Agenten (er startet mit dem nächsten Turn) …',
    reconnecting: 'Verbindung unterbrochen, verbinde neu …',
    facts: (s) => `${s.user_email || s.user_id.slice(0, 8)} · ${s.driver ? `${s.backend} (${s.driver})` : s.backend} · ${status(s.status)} · Turns: ${s.turns}`,
    statuses: { active: 'aktiv', ended: 'beendet', expired: 'abgelaufen', terminated: 'zwangsbeendet' },
    turn: 'Turn',
    tool: 'Werkzeug',
    done: 'fertig',
    error: 'Fehler',
    openRequests: (n) => (n ? `Offene Anfragen: ${n}` : ''),
  },
  en: {
    signInLabel: 'User token (JWT) or API key',
    signIn: 'Sign in',
    signInFailed: 'This token was not accepted.',
    signOut: 'Sign out',
    notFound: 'There is no such session, or it belongs to another account. Everyone sees their own sessions; only owners and admin keys see all.',
    checkin: 'End session',
    checkinConfirm: 'End this session? Its running turn is cancelled and its agent stopped.',
    terminate: 'Force-terminate',
    terminateConfirm: 'Force-terminate this session (admin)?',
    terminal: 'Terminal',
    events: 'Events',
    noTerminal: 'This agent runs without a terminal; its turns, tool calls and answers appear beside, as they stream.',
    waiting: "Waiting for the agent's screen (it starts with the next turn) …",
    reconnecting: 'Connection lost, reconnecting …',
    facts: (s) => `${s.user_email || s.user_id.slice(0, 8)} · ${s.driver ? `${s.backend} (${s.driver})` : s.backend} · ${status(s.status)} · turns: ${s.turns}`,
    statuses: { active: 'active', ended: 'ended', expired: 'expired', terminated: 'terminated' },
    turn: 'Turn',
    tool: 'Tool',
    done: 'done',
    error: 'error',
    openRequests: (n) => (n ? `Open requests: ${n}` : ''),
  },
}[lang];

const $ = (id) => document.getElementById(id);
const status = (s) => COPY.statuses[s] || s;
const sid = decodeURIComponent(location.pathname.split('/').filter(Boolean).at(-1) || '');
const stop = new AbortController();
let session;
let seenTurns = 0;

/** The session's events as a list: a block per turn, its answer growing as it streams. */
function showEvent(ev) {
  const list = $('events');
  const d = ev.data || {};
  const turnBlock = (id) => list.querySelector(`li.turn[data-turn="${id}"]`);
  switch (ev.event) {
    case 'session':
      list.append(
        el('li', {
          class: `session-event ${d.status}`,
          'data-id': ev.id,
          text: `${status(d.status)}${d.reason ? ` (${d.reason})` : ''} · ${new Date(d.at).toLocaleTimeString(lang)}`,
        }),
      );
      if (d.status !== 'active') ended(d.status);
      break;
    case 'turn':
      // Counted as the page sees them begin (replayed ones are in the loaded count already).
      if (!list.querySelector(`li.turn[data-turn="${d.turn_id}"]`) && seenTurns++ >= session.turns) {
        session.turns = seenTurns;
        $('facts').textContent = COPY.facts(session);
      }
      list.append(
        el(
          'li',
          { class: 'turn running', 'data-turn': d.turn_id, 'data-id': ev.id },
          el('p', { class: 'input', text: d.input }),
          el('ul', { class: 'tools' }),
          el('p', { class: 'answer' }),
        ),
      );
      break;
    case 'content': {
      const answer = turnBlock(d.turn_id)?.querySelector('.answer');
      if (answer) answer.textContent += d.delta ?? d.text ?? '';
      break;
    }
    case 'tool':
      turnBlock(d.turn_id)
        ?.querySelector('.tools')
        .append(el('li', { class: `tool ${d.status}`, text: `${COPY.tool}: ${d.name} ${d.input_summary || ''} (${d.status})` }));
      break;
    case 'resolved':
      resolveCard(list.querySelector(`.request[data-request="${d.request_id}"]`), d);
      break;
    case 'end':
      turnBlock(d.turn_id)?.classList.replace('running', 'done');
      if (turnBlock(d.turn_id)) closeOpenCards(turnBlock(d.turn_id));
      break;
    case 'error': {
      const block = turnBlock(d.turn_id);
      block?.classList.replace('running', 'failed');
      if (block) closeOpenCards(block);
      block?.append(el('p', { class: 'status error', text: `${COPY.error}: ${d.code} — ${d.message}` }));
      break;
    }
    default:
      // The agent asks (docs/requests.md): a card in its turn's block, answerable here.
      if (!isRequest(ev.event)) return;
      turnBlock(d.turn_id)?.append(requestCard(ev.event, d, d.turn_id));
  }
  $('open-requests').textContent = COPY.openRequests(list.querySelectorAll('.request:not(.resolved)').length);
  list.lastElementChild?.scrollIntoView({ block: 'nearest' });
}

function ended(s) {
  $('checkin').hidden = true;
  $('terminate').hidden = true;
  $('facts').textContent = COPY.facts({ ...session, status: s });
}

/** The agent's terminal, drawn with xterm.js from each `screen` event (the client SDK reconnects the stream by itself). */
async function watchScreen() {
  const term = new Terminal({ convertEol: false, disableStdin: true, fontSize: 13, scrollback: 0, cursorBlink: false });
  term.open($('terminal'));
  $('terminal-note').textContent = COPY.waiting;
  try {
    for await (const { data: s } of client().sessions.screenEvents(sid, { signal: stop.signal })) {
      $('terminal-note').textContent = '';
      if (term.cols !== s.cols || term.rows !== s.rows) term.resize(s.cols, s.rows);
      term.write(`\x1b[H\x1b[2J${s.lines.join('\r\n')}\x1b[${s.cursor.y + 1};${s.cursor.x + 1}H`);
      $('terminal').dataset.screen = s.lines.join('\n');
    }
  } catch (e) {
    // 401: the page is on its way back to sign-in already.
    if (e?.status === 401) return;
    $('terminal').hidden = true;
    $('terminal-note').textContent = e?.code === 'NO_TERMINAL' ? COPY.noTerminal : e?.message || '';
    $('terminal-panel').classList.add('no-terminal');
  }
}

/** The session's events with the client SDK: it resumes a dropped stream by itself (each event once), and ends when an ended session's stream closes. */
async function watchEvents() {
  try {
    for await (const ev of client().sessions.events(sid, {
      signal: stop.signal,
      onState: (state) => ($('connection').textContent = state === 'reconnecting' ? COPY.reconnecting : ''),
    }))
      showEvent(ev);
  } catch (e) {
    // 401: the page is on its way back to sign-in already.
    if (e?.status !== 401) $('connection').textContent = e?.message || '';
  }
}

async function main() {
  document.documentElement.lang = lang;
  $('token-input').previousElementSibling.textContent = COPY.signInLabel;
  $('signin').querySelector('button').textContent = COPY.signIn;
  $('signout').textContent = COPY.signOut;
  $('checkin').textContent = COPY.checkin;
  $('terminate').textContent = COPY.terminate;
  for (const node of document.querySelectorAll('[data-copy]')) node.textContent = COPY[node.dataset.copy];
  $('signout').addEventListener('click', () => void signOut());

  // Any token that may read the session will do: the page reads its streams with the token itself.
  await signIn($('signin'), COPY, { method: 'GET', url: '/api/sessions?limit=1' });
  document.querySelector('header .actions').hidden = false;
  session = await ifAllowed(client().sessions.get(sid));
  if (!session) {
    $('denied').textContent = COPY.notFound;
    $('denied').hidden = false;
    return;
  }
  $('title').textContent = `· ${session.name}`;
  document.title = `Paliadin — ${session.name}`;
  $('facts').textContent = COPY.facts(session);
  $('view').hidden = false;
  if (session.status === 'active') {
    $('checkin').hidden = false;
    // Force-terminate is for admins: the stats answer them only.
    $('terminate').hidden = !(await ifAllowed(client().admin.stats()));
  }
  $('checkin').addEventListener('click', async () => {
    if (confirm(COPY.checkinConfirm)) await client().sessions.checkin(sid);
  });
  $('terminate').addEventListener('click', async () => {
    if (confirm(COPY.terminateConfirm)) await client().sessions.remove(sid);
  });
  void watchScreen();
  await watchEvents();
}

void main();
