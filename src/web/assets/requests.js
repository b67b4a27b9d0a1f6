// Requests on the pages (docs/requests.md): a card per permission, question or client tool
// call, answered from the card; its outcome shown once resolved. Shared by the chat and session pages.
import { client, el, lang } from './common.js';

const COPY = {
  de: {
    permission: (tool) => `Paliadin möchte ${tool} verwenden`,
    question: 'Paliadin fragt',
    clientTool: (name) => `Paliadin ruft ${name} in der Anwendung auf`,
    allow_once: 'Einmal erlauben',
    allow_always: 'Immer erlauben',
    deny: 'Ablehnen',
    answer: 'Antworten',
    waiting: (s, left) => `Wartet auf dich · ${s}${left ? ` · noch ${left}` : ''}`,
    waitingApp: (s) => `Wartet auf die Anwendung · ${s}`,
    outcome: { allow_once: 'Einmal erlaubt', allow_always: 'Immer erlaubt', deny: 'Abgelehnt' },
    answered: (a) => `Beantwortet: ${a}`,
    toolDone: 'Von der Anwendung erledigt',
    toolError: 'Die Anwendung meldete einen Fehler',
    by: {
      timeout: 'Keine Antwort rechtzeitig',
      cancel: 'Abgebrochen',
      interrupted: 'Der Server wurde gestoppt',
      api_key: 'per API',
      closed: 'Nicht mehr offen',
    },
    failed: 'Die Antwort wurde nicht angenommen:',
  },
  en: {
    permission: (tool) => `Paliadin wants to use ${tool}`,
    question: 'Paliadin asks',
    clientTool: (name) => `Paliadin calls ${name} in the application`,
    allow_once: 'Allow once',
    allow_always: 'Always allow',
    deny: 'Deny',
    answer: 'Answer',
    waiting: (s, left) => `Waiting for you · ${s}${left ? ` · ${left} left` : ''}`,
    waitingApp: (s) => `Waiting for the application · ${s}`,
    outcome: { allow_once: 'Allowed once', allow_always: 'Always allowed', deny: 'Denied' },
    answered: (a) => `Answered: ${a}`,
    toolDone: 'Done by the application',
    toolError: 'The application reported an error',
    by: { timeout: 'No answer in time', cancel: 'Cancelled', interrupted: 'The server stopped', api_key: 'through the API', closed: 'No longer open' },
    failed: 'The answer was not taken:',
  },
}[lang];

const KINDS = new Set(['permission', 'question', 'client_tool']);
const clock = (seconds) => `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;

/** Whether an event is a request (permission, question, client_tool). */
export const isRequest = (event) => KINDS.has(event);

/**
 * A card for the request `data` (the event's data) of turn `turnId`, with
 * buttons that answer it, and a counter while it waits. A client tool is
 * announced as a `paliadin:client_tool` window event, so the host page can
 * run it and answer with `detail.answer(output, isError)`.
 */
export function requestCard(kind, data, turnId) {
  const card = el('div', { class: `request ${kind}`, 'data-request': data.request_id, 'data-kind': kind });
  const post = async (body) => {
    try {
      resolveCard(card, await client().requests.answer(turnId, data.request_id, body));
    } catch (e) {
      // 409: answered already (elsewhere, or a retry): its stored outcome is what stands.
      if (e?.code === 'REQUEST_RESOLVED' && e.body?.request) return resolveCard(card, e.body.request);
      card.querySelector('.request-problem').textContent = `${COPY.failed} ${e?.message || e?.status}`;
    }
  };
  if (kind === 'permission') {
    card.append(
      el('p', { class: 'request-title', text: COPY.permission(data.tool) }),
      el('code', { class: 'request-summary', text: data.input_summary || JSON.stringify(data.input) }),
      el(
        'div',
        { class: 'request-actions' },
        ...data.options.map((decision) => {
          const b = el('button', {
            type: 'button',
            class: decision === 'deny' ? 'danger' : decision === 'allow_once' ? 'primary' : '',
            'data-decision': decision,
            text: COPY[decision],
          });
          b.addEventListener('click', () => void post({ decision }));
          return b;
        }),
      ),
    );
  } else if (kind === 'question') {
    card.append(el('p', { class: 'request-title', text: COPY.question }));
    data.questions.forEach((q, i) => {
      const options = q.options.map((o) =>
        el(
          'label',
          { class: 'option' },
          el('input', { type: q.multi_select ? 'checkbox' : 'radio', name: `${data.request_id}-${i}`, value: o.label }),
          el('span', { text: o.label }),
          ...(o.description ? [el('small', { class: 'muted', text: o.description })] : []),
        ),
      );
      card.append(el('fieldset', { 'data-question': q.question }, el('legend', { text: q.header || '' }), el('p', { text: q.question }), ...options));
    });
    const send = el('button', { type: 'button', class: 'primary', text: COPY.answer });
    send.addEventListener('click', () => {
      const answers = {};
      for (const set of card.querySelectorAll('fieldset')) {
        answers[set.dataset.question] = [...set.querySelectorAll('input:checked')].map((input) => input.value);
      }
      void post({ answers });
    });
    card.append(el('div', { class: 'request-actions' }, send));
  } else {
    card.append(
      el('p', { class: 'request-title', text: COPY.clientTool(data.name) }),
      el('code', { class: 'request-summary', text: JSON.stringify(data.input) }),
    );
    window.dispatchEvent(
      new CustomEvent('paliadin:client_tool', {
        detail: { turnId, request: data, answer: (output, isError = false) => post({ output, ...(isError ? { is_error: true } : {}) }) },
      }),
    );
  }
  card.append(el('p', { class: 'request-wait muted' }), el('p', { class: 'request-problem error' }), el('p', { class: 'request-outcome' }));
  waitCounter(card, kind, data.expires_at);
  return card;
}

/** Counts the wait up, and the time left down, once a second until the card is resolved. */
function waitCounter(card, kind, expiresAt) {
  const shown = Date.now();
  const draw = () => {
    const waited = (Date.now() - shown) / 1000;
    const left = Math.max(0, (new Date(expiresAt).getTime() - Date.now()) / 1000);
    card.querySelector('.request-wait').textContent = kind === 'client_tool' ? COPY.waitingApp(clock(waited)) : COPY.waiting(clock(waited), clock(left));
  };
  draw();
  card.waitTimer = setInterval(() => (card.isConnected || card.dataset.outcome ? draw() : clearInterval(card.waitTimer)), 1000);
}

/** Shows how a request ended (a `resolved` event, or the resolved request from the API); no more buttons. */
export function resolveCard(card, resolved) {
  if (!card || card.dataset.outcome) return;
  clearInterval(card.waitTimer);
  const { outcome = {}, by } = resolved;
  let text;
  if (by && by !== 'user' && by !== 'api_key') text = COPY.by[by];
  else if (outcome.decision) text = `${COPY.outcome[outcome.decision]}${outcome.message ? `: ${outcome.message}` : ''}`;
  else if (outcome.answers) {
    // In the order the questions were asked (the stored answers come keyed, in no particular order).
    const sets = [...card.querySelectorAll('fieldset')];
    // The chosen options stay ticked (a page that only saw the question ticks them now).
    for (const set of sets)
      for (const input of set.querySelectorAll('input')) input.checked = (outcome.answers[set.dataset.question] || []).includes(input.value);
    const asked = sets.map((set) => set.dataset.question);
    const order = asked.length ? asked : Object.keys(outcome.answers);
    text = COPY.answered(order.map((q) => (outcome.answers[q] || []).join(', ')).join('; '));
  } else text = outcome.is_error ? COPY.toolError : COPY.toolDone;
  if (by === 'api_key') text += ` (${COPY.by.api_key})`;
  card.dataset.outcome = outcome.decision || (outcome.answers ? 'answered' : by);
  card.dataset.by = by;
  card.classList.add('resolved');
  for (const node of card.querySelectorAll('.request-actions, .request-wait, .request-problem')) node.remove();
  for (const input of card.querySelectorAll('input')) input.disabled = true;
  card.querySelector('.request-outcome').textContent = text;
}

/** Cards still open when their turn ended without a `resolved` for them (its instance died): no longer answerable. */
export function closeOpenCards(container) {
  for (const card of container.querySelectorAll('.request:not(.resolved)')) resolveCard(card, { by: 'closed' });
}
