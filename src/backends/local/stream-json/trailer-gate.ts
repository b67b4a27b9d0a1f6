import type { TurnMeta } from '../../backend.interface.js';
import { parseAnswer } from '../../../contract/answer.js';

const OPEN = '<!--';
const NAME = 'paliadin-meta';

/**
 * Keeps the answer's trailer (`<!-- paliadin-meta {...} -->`, the last thing
 * in an answer: docs/agent-protocol.md) out of the streamed text. Text goes
 * out as it comes, except from a point where the trailer may be starting:
 * that part is held until it is clear it is not the trailer (more text
 * follows it) or the answer ends, when a trailer is parsed and dropped.
 */
export class TrailerGate {
  private held = '';

  /** The part of `text` (with what was held) that can go out now. */
  push(text: string): string {
    const s = this.held + text;
    const i = trailerStart(s);
    this.held = s.slice(i);
    return s.slice(0, i);
  }

  /** The answer is complete: what was held and is not the trailer, and the trailer's meta. */
  end(): { text: string; meta?: TurnMeta } {
    const held = this.held;
    this.held = '';
    if (!held) return { text: '' };
    const parsed = parseAnswer(held);
    return parsed.text === '' ? { text: '', meta: parsed.meta } : { text: held };
  }
}

/** Where in `s` a trailer may be starting; s.length when nowhere. */
function trailerStart(s: string): number {
  for (let i = s.indexOf('<'); i >= 0; i = s.indexOf('<', i + 1)) if (mayBeTrailer(s.slice(i))) return i;
  return s.length;
}

/** `t` is the start of a marker so far, or a marker with nothing but whitespace after its last `-->`. */
function mayBeTrailer(t: string): boolean {
  if (t.length < OPEN.length) return OPEN.startsWith(t);
  if (!t.startsWith(OPEN)) return false;
  const rest = t.slice(OPEN.length).trimStart();
  if (rest.length < NAME.length) return NAME.startsWith(rest);
  if (!rest.startsWith(NAME)) return false;
  const close = t.lastIndexOf('-->');
  return close < 0 || t.slice(close + 3).trim() === '';
}
