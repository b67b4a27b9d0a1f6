// Shared by the chat page and the dashboard: sign-in, API calls, language.

const TOKEN_KEY = 'paliadin_token';

/** German or English, chosen by the browser language. */
export const lang = (navigator.language || 'en').toLowerCase().startsWith('de') ? 'de' : 'en';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Calls the API with the bearer token; a 401 sends the user back to sign-in. */
export async function api(path, options = {}) {
  const res = await fetch(path, {
    ...options,
    headers: { Authorization: `Bearer ${token()}`, ...(options.body ? { 'Content-Type': 'application/json' } : {}), ...(options.headers || {}) },
  });
  if (res.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    location.reload();
    throw new Error('signed out');
  }
  return res;
}

/**
 * Shows the sign-in form until a token is accepted. The token goes in the
 * Authorization header (never in a URL) of `check`: by default POST
 * /auth/session, which answers with the HttpOnly cookie the event stream uses
 * and takes user tokens only. A page that never streams (the dashboard)
 * checks the token against an API call of its own instead, so that admin
 * API keys work there.
 */
export function signIn(form, copy, check = { method: 'POST', url: '/auth/session' }) {
  return new Promise((resolve) => {
    if (token()) return resolve();
    form.hidden = false;
    const input = form.querySelector('textarea');
    const error = form.querySelector('.error');
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const candidate = input.value.trim();
      const res = await fetch(check.url, { method: check.method, headers: { Authorization: `Bearer ${candidate}` } });
      if (!res.ok) {
        error.textContent = copy.signInFailed;
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, candidate);
      form.hidden = true;
      resolve();
    });
  });
}

export async function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  await fetch('/auth/session', { method: 'DELETE' });
  location.reload();
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

/**
 * Reads a Server-Sent Events route with the bearer token (fetch, not
 * EventSource: API keys work too, and no cookie is needed). A dropped
 * connection is opened again after a second with Last-Event-ID, so the
 * server resumes after the last event we have: nothing is missed or shown
 * twice. A 5xx (a busy server) is retried the same way. Resolves when the
 * server ends the stream or `signal` aborts; rejects with the response for
 * any other non-200 answer.
 */
export async function readEvents(path, { onEvent, onState, signal, lastEventId } = {}) {
  let last = lastEventId;
  for (;;) {
    if (signal?.aborted) return;
    let res;
    try {
      res = await fetch(path, {
        headers: { Authorization: `Bearer ${token()}`, Accept: 'text/event-stream', ...(last ? { 'Last-Event-ID': last } : {}) },
        signal,
      });
    } catch {
      if (signal?.aborted) return;
      onState?.('reconnecting');
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    // Busy or briefly without its database (503 with Retry-After): try again, as after a drop. Anything else is final.
    if (res.status >= 500) {
      onState?.('reconnecting');
      await new Promise((r) => setTimeout(r, Math.min(Number(res.headers.get('Retry-After')) || 1, 10) * 1000));
      continue;
    }
    if (res.status !== 200) throw res;
    onState?.('open');
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let ended = false;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          ended = true;
          break;
        }
        buffer += value;
        let cut;
        while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, '');
          const ev = { event: 'message', data: '' };
          for (const line of frame.split(/\r?\n/)) {
            const i = line.indexOf(':');
            if (i <= 0) continue;
            const [field, v] = [line.slice(0, i), line.slice(i + 1).replace(/^ /, '')];
            if (field === 'id') ev.id = v;
            else if (field === 'event') ev.event = v;
            else if (field === 'data') ev.data += ev.data ? `\n${v}` : v;
          }
          if (ev.id !== undefined) last = ev.id;
          if (ev.event !== 'ping') onEvent?.({ ...ev, data: ev.data ? JSON.parse(ev.data) : undefined });
        }
      }
    } catch {
      // The connection dropped: resume below.
    }
    if (signal?.aborted) return;
    if (ended) return;
    onState?.('reconnecting');
    await new Promise((r) => setTimeout(r, 1000));
  }
}
