// Shared by the pages: sign-in, the client SDK (every API call and stream), language.
import { createClient } from '/paliadin-assets/vendor/paliadin-client.js';

const TOKEN_KEY = 'paliadin_token';

/** German or English, chosen by the browser language. */
export const lang = (navigator.language || 'en').toLowerCase().startsWith('de') ? 'de' : 'en';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** The token was refused (401): forgotten, and the page starts again at sign-in. */
function signedOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  location.reload();
}

let shared;

/**
 * The client SDK (@paliadin/client, its browser build) as the signed-in
 * user: the token goes in the Authorization header of every request, and
 * its event streams are the pages' only SSE reader (they resume after a
 * drop with Last-Event-ID, each event once). A 401 of any of its requests
 * sends the user back to sign-in, as `api` does (the call itself rejects
 * with a PaliadinError of status 401). `options` (e.g. `retry`) make a
 * client of their own; without, the page's one is shared.
 */
export function client(options) {
  if (!options && shared) return shared;
  const made = createClient({
    baseUrl: location.origin,
    token: () => token(),
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      if (res.status === 401) signedOut();
      return res;
    },
    ...options,
  });
  if (!options) shared = made;
  return made;
}

/**
 * What a client call gives, or undefined when the service says it is not
 * for this user (a 403 or 404: an admin route, a session of someone else's,
 * a key without the scope); any other failure is thrown.
 */
export async function ifAllowed(call) {
  try {
    return await call;
  } catch (e) {
    if (e?.name === 'PaliadinError' && (e.status === 403 || e.status === 404)) return undefined;
    throw e;
  }
}

/**
 * Shows the sign-in form until a token is accepted. The token goes in the
 * Authorization header (never in a URL) of `check`: by default POST
 * /auth/session, which takes user tokens only and answers with the HttpOnly
 * stream cookie (set for whatever reads a stream with it; the pages' own
 * streams send the token). The dashboard and the session page check the
 * token against an API call of their own instead, so that API keys work
 * there.
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
