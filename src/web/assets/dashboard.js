import { client, el, ifAllowed, lang, signIn, signOut } from './common.js';

const COPY = {
  de: {
    signInLabel: 'Token eines Owners oder Admin-API-Schlüssel',
    signIn: 'Anmelden',
    signInFailed: 'Dieser Token wurde nicht angenommen: nur Owner oder Admin-Schlüssel.',
    denied: 'Kein Zugriff mit diesem Token.',
    deniedWho:
      'Das Dashboard sehen Owner (die E-Mail-Adressen in PALIADIN_OWNER_EMAILS) und API-Schlüssel mit dem Scope admin oder paliadin:admin. Melde dich mit einem solchen Token an.',
    signOut: 'Abmelden und anderen Token verwenden',
    updated: 'Stand',
    perDay: 'Turns und Fehler pro Tag (14 Tage)',
    errorCodes: 'Fehlercodes (24 h)',
    topTools: 'Meistgenutzte Werkzeuge (7 Tage)',
    backends: 'Backends (7 Tage)',
    tags: 'Kategorien (7 Tage)',
    recent: 'Letzte Turns',
    none: '—',
    turns: 'Turns',
    errors: 'Fehler',
    sessions: 'Aktive Agent-Sitzungen',
    end: 'Beenden',
    endConfirm: 'Diese Sitzung beenden? Ihr laufender Turn wird abgebrochen.',
    sessionColumns: ['Nutzer', 'Name', 'Backend', 'Status', 'Turns', 'Zuletzt aktiv', 'Läuft ab', ''],
    webhooks: 'Webhooks mit fehlgeschlagenen Zustellungen',
    webhookColumns: ['Nutzer', 'URL', 'Zustand', 'Fehlgeschlagen', 'Letzter Fehler', 'Wann'],
    webhookOn: 'aktiv',
    webhookOff: 'abgeschaltet',
    cards: {
      sessions_active: 'Agent-Sitzungen',
      sessions_created_24h: 'Neue Sitzungen 24 h',
      total_turns: 'Turns gesamt',
      turns_24h: 'Turns 24 h',
      turns_7d: 'Turns 7 Tage',
      errors_24h: 'Fehler 24 h',
      error_rate_24h: 'Fehlerquote 24 h',
      duration: 'Dauer p50 · p95',
      in_flight: 'Laufend',
      active_sessions: 'Aktive Sitzungen',
      last_turn_at: 'Letzter Turn',
      requests_open: 'Offene Anfragen',
      longestWait: (s) => `Offene Anfragen · längste wartet ${s}`,
    },
    columns: ['Beginn', 'Nutzer', 'Frage', 'Ergebnis', 'Dauer', 'Backend'],
  },
  en: {
    signInLabel: 'An owner’s token or an admin API key',
    signIn: 'Sign in',
    signInFailed: 'This token was not accepted: owners and admin keys only.',
    denied: 'No access with this token.',
    deniedWho:
      'The dashboard is for owners (the emails in PALIADIN_OWNER_EMAILS) and API keys with the admin or paliadin:admin scope. Sign in with such a token.',
    signOut: 'Sign out and use another token',
    updated: 'Updated',
    perDay: 'Turns and errors per day (14 days)',
    errorCodes: 'Error codes (24 h)',
    topTools: 'Top tools (7 days)',
    backends: 'Backends (7 days)',
    tags: 'Classifier tags (7 days)',
    recent: 'Recent turns',
    none: '—',
    turns: 'Turns',
    errors: 'Errors',
    sessions: 'Active agent sessions',
    end: 'End',
    endConfirm: 'End this session? Its running turn is cancelled.',
    sessionColumns: ['User', 'Name', 'Backend', 'Status', 'Turns', 'Last activity', 'Expires', ''],
    webhooks: 'Webhooks with failing deliveries',
    webhookColumns: ['User', 'URL', 'State', 'Failing', 'Last error', 'When'],
    webhookOn: 'enabled',
    webhookOff: 'disabled',
    cards: {
      sessions_active: 'Agent sessions',
      sessions_created_24h: 'New sessions 24 h',
      total_turns: 'Total turns',
      turns_24h: 'Turns 24 h',
      turns_7d: 'Turns 7 days',
      errors_24h: 'Errors 24 h',
      error_rate_24h: 'Error rate 24 h',
      duration: 'Duration p50 · p95',
      in_flight: 'In flight',
      active_sessions: 'Active sessions',
      last_turn_at: 'Last turn',
      requests_open: 'Open requests',
      longestWait: (s) => `Open requests · the longest waits ${s}`,
    },
    columns: ['Started', 'User', 'Question', 'Result', 'Duration', 'Backend'],
  },
}[lang];

// ?refresh=<ms> changes how often the board reloads (default 5 s).
const REFRESH_MS = Number(new URLSearchParams(location.search).get('refresh')) || 5000;
const $ = (id) => document.getElementById(id);
const ms = (v) => (v === null || v === undefined ? COPY.none : v < 1000 ? `${v} ms` : `${(v / 1000).toFixed(1)} s`);
const when = (iso) => (iso ? new Date(iso).toLocaleString(lang) : COPY.none);
let chart;

function cards(s) {
  const values = {
    total_turns: s.total_turns,
    turns_24h: s.turns_24h,
    turns_7d: s.turns_7d,
    errors_24h: s.errors_24h,
    error_rate_24h: `${(s.error_rate_24h * 100).toFixed(1)} %`,
    duration: `${ms(s.duration_ms.p50)} · ${ms(s.duration_ms.p95)}`,
    in_flight: s.in_flight,
    active_sessions: s.active_sessions,
    last_turn_at: when(s.last_turn_at),
    sessions_active: s.sessions_active,
    sessions_created_24h: s.sessions_created_24h,
    requests_open: s.requests_open,
  };
  // Twelve cards, an even grid: how long the oldest open request has waited goes with their count.
  const labels = {
    ...COPY.cards,
    ...(s.requests_longest_wait_s === null ? {} : { requests_open: COPY.cards.longestWait(ms(s.requests_longest_wait_s * 1000)) }),
  };
  $('cards').replaceChildren(
    ...Object.entries(values).map(([key, value]) =>
      el('div', { class: 'card', 'data-stat': key }, el('span', { class: 'value', text: String(value) }), el('span', { class: 'label', text: labels[key] })),
    ),
  );
}

function table(id, rows) {
  $(id).replaceChildren(
    ...(rows.length ? rows : [[COPY.none, '']]).map(([k, v]) => el('tr', {}, el('td', { text: String(k) }), el('td', { class: 'num', text: String(v) }))),
  );
}

function perDay(days) {
  const data = {
    labels: days.map((d) => d.day.slice(5)),
    datasets: [
      { label: COPY.turns, data: days.map((d) => d.turns), backgroundColor: '#4f7cff' },
      { label: COPY.errors, data: days.map((d) => d.errors), backgroundColor: '#e5484d' },
    ],
  };
  if (chart) {
    chart.data = data;
    chart.update('none');
  } else {
    // The chart fills its box (240 px high) at any width, rather than keeping a wide aspect ratio that squashes it on a phone.
    chart = new Chart($('per-day'), {
      type: 'bar',
      data,
      options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }
}

function turns(rows) {
  $('turns').tHead.replaceChildren(el('tr', {}, ...COPY.columns.map((c) => el('th', { text: c }))));
  $('turns').tBodies[0].replaceChildren(
    ...rows.map((t) =>
      el(
        'tr',
        { 'data-turn': t.turn_id, class: t.error_code ? 'failed' : t.finished_at ? '' : 'running' },
        el('td', { class: 'when', text: when(t.started_at) }),
        el('td', { text: t.user_email || t.user_id.slice(0, 8) }),
        el('td', { class: 'question', text: t.user_message }),
        el('td', { text: t.error_code || (t.finished_at ? 'ok' : '…') }),
        el('td', { class: 'num', text: ms(t.duration_ms) }),
        el('td', { text: t.backend }),
      ),
    ),
  );
}

/** Active sessions of all users, each with an End button (DELETE /api/sessions/:sid, for admins). */
function sessions(rows) {
  $('sessions').tHead.replaceChildren(el('tr', {}, ...COPY.sessionColumns.map((c) => el('th', { text: c }))));
  $('sessions').tBodies[0].replaceChildren(
    ...rows.map((s) => {
      const end = el('button', { type: 'button', class: 'end-session', text: COPY.end });
      end.addEventListener('click', async () => {
        if (!confirm(COPY.endConfirm)) return;
        end.disabled = true;
        await client().sessions.remove(s.id);
        await refresh();
      });
      return el(
        'tr',
        { 'data-session': s.id, class: s.running_turn_id ? 'running' : '' },
        el('td', { text: s.user_email || s.user_id.slice(0, 8) }),
        el('td', {}, el('a', { href: `/admin/paliadin/sessions/${s.id}`, class: 'session-link', text: s.name })),
        el('td', { text: s.driver ? `${s.backend} (${s.driver})` : s.backend }),
        el('td', { text: s.running_turn_id ? `${s.status} …` : s.status }),
        el('td', { class: 'num', text: String(s.turns) }),
        el('td', { class: 'when', text: when(s.last_activity_at) }),
        el('td', { class: 'when', text: when(s.expires_at) }),
        el('td', {}, end),
      );
    }),
  );
}

/** Webhooks whose deliveries fail (or that their endpoint disabled with a 410), worst first. */
function webhooks(rows) {
  $('webhooks-panel').hidden = rows.length === 0;
  $('webhooks').tHead.replaceChildren(el('tr', {}, ...COPY.webhookColumns.map((c) => el('th', { text: c }))));
  $('webhooks').tBodies[0].replaceChildren(
    ...rows.map((w) =>
      el(
        'tr',
        { 'data-webhook': w.id, class: 'failed' },
        el('td', { text: w.user_email || w.user_id.slice(0, 8) }),
        el('td', { class: 'question', text: w.url }),
        el('td', { text: w.enabled ? COPY.webhookOn : `${COPY.webhookOff}: ${w.disabled_reason ?? ''}` }),
        el('td', { class: 'num', text: String(w.failing) }),
        el('td', { text: w.last_error ?? COPY.none }),
        el('td', { class: 'when', text: w.last_failed_at ? when(w.last_failed_at) : COPY.none }),
      ),
    ),
  );
}

async function refresh() {
  const c = client();
  const [s, recent, active, failing] = await Promise.all([
    ifAllowed(c.admin.stats()),
    ifAllowed(c.admin.turns({ limit: 50 })),
    ifAllowed(c.sessions.list({ status: 'active', limit: 100 })),
    ifAllowed(c.admin.failingWebhooks()),
  ]);
  if (!s || !recent) {
    $('board').hidden = true;
    $('denied').hidden = false;
    return false;
  }
  cards(s);
  perDay(s.turns_per_day);
  table('error-codes', Object.entries(s.by_error_code));
  table(
    'top-tools',
    s.top_tools.map((t) => [t.tool, t.count]),
  );
  table('backends', Object.entries(s.by_backend));
  table('tags', Object.entries(s.by_classifier_tag));
  turns(recent);
  // An admin key without the sessions scopes (paliadin:admin alone) sees the board without this panel.
  $('sessions-panel').hidden = !active;
  if (active) sessions(active.sessions);
  webhooks(failing ? failing.webhooks : []);
  $('board').hidden = false;
  $('updated').textContent = `${COPY.updated} ${new Date().toLocaleTimeString(lang)}`;
  return true;
}

async function main() {
  document.documentElement.lang = lang;
  $('token-input').previousElementSibling.textContent = COPY.signInLabel;
  $('signin').querySelector('button').textContent = COPY.signIn;
  $('denied-text').textContent = COPY.denied;
  $('denied-who').textContent = COPY.deniedWho;
  $('denied-signout').textContent = COPY.signOut;
  $('denied-signout').addEventListener('click', () => void signOut());
  for (const node of document.querySelectorAll('[data-copy]')) node.textContent = COPY[node.dataset.copy];
  // The dashboard never streams, so it needs no cookie: an owner's token or an admin API key is checked against the stats.
  await signIn($('signin'), COPY, { method: 'GET', url: '/api/admin/paliadin/stats' });
  if (await refresh()) setInterval(() => void refresh().catch(() => undefined), REFRESH_MS);
}

void main();
