import type { TurnMeta } from '../backends/backend.interface.js';

/**
 * The agent's answer protocol (docs/agent-protocol.md), in one place for every
 * backend: the optional trailer `<!-- paliadin-meta {json} -->` at the end,
 * `paliad:` chips, and the token estimate.
 */
// Where a marker starts; the trailer is the last one, and only if it closes at the very end.
const MARKER_RE = /<!--\s*paliadin-meta/g;
const TRAILER_RE = /^<!--\s*paliadin-meta\s*([\s\S]*?)-->\s*$/;
const CHIP_RE = /\[[^\]\n]*\]\(paliad:[^)\s]+\)/g;

export interface ParsedAnswer {
  /** The answer with the trailer removed, as stored and shown. */
  text: string;
  meta: TurnMeta;
  chipCount: number;
  tokens: number;
}

export const EMPTY_META: TurnMeta = { usedTools: [], rowsSeen: [], classifierTag: '' };

/**
 * Parses tolerantly: a trailer with bad JSON or wrong types yields empty meta,
 * never an error. The trailer is the LAST marker, closed by `-->` with only
 * whitespace after it: an answer may quote the marker earlier (echoing the
 * user, explaining the protocol), and that quote is text. When the last
 * marker has text after it, there is no trailer and the text stays whole.
 */
export function parseAnswer(raw: string): ParsedAnswer {
  const trailer = findTrailer(raw);
  const text = (trailer ? raw.slice(0, trailer.index) : raw).trimEnd();
  const meta = trailer ? parseTrailer(trailer.json) : EMPTY_META;
  return { text, meta, chipCount: countChips(text), tokens: estimateTokens(text) };
}

function findTrailer(raw: string): { index: number; json: string } | undefined {
  let last = -1;
  for (const m of raw.matchAll(MARKER_RE)) last = m.index;
  if (last < 0) return undefined;
  const m = TRAILER_RE.exec(raw.slice(last));
  return m ? { index: last, json: m[1] } : undefined;
}

function parseTrailer(json: string): TurnMeta {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return EMPTY_META;
  }
  if (!v || typeof v !== 'object') return EMPTY_META;
  const o = v as Record<string, unknown>;
  return {
    usedTools: Array.isArray(o.used_tools) ? o.used_tools.filter((t): t is string => typeof t === 'string') : [],
    rowsSeen: toRowIds(o.rows_seen),
    classifierTag: typeof o.classifier_tag === 'string' ? o.classifier_tag : '',
  };
}

/** rows_seen may arrive as numbers or numeric strings; anything else is dropped. */
export function toRowIds(v: unknown): number[] {
  if (!Array.isArray(v)) return [];
  return v
    .map((x) => (typeof x === 'number' ? x : typeof x === 'string' && /^-?\d+$/.test(x.trim()) ? Number(x.trim()) : NaN))
    .filter((n) => Number.isSafeInteger(n));
}

export function countChips(text: string): number {
  return text.match(CHIP_RE)?.length ?? 0;
}

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Later values win where they say something; empty ones keep what was known. */
export function mergeMeta(base: TurnMeta, extra: Partial<TurnMeta> | undefined): TurnMeta {
  if (!extra) return base;
  return {
    usedTools: extra.usedTools?.length ? extra.usedTools : base.usedTools,
    rowsSeen: extra.rowsSeen?.length ? extra.rowsSeen : base.rowsSeen,
    classifierTag: extra.classifierTag || base.classifierTag,
  };
}
