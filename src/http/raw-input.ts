import { BadRequestException, type ArgumentMetadata } from '@nestjs/common';

// Postgres text and jsonb refuse U+0000, and jsonb refuses an escaped lone surrogate (JSON.stringify
// writes one as \udXXX): such input would only fail later, inside an INSERT, as a 500.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `s` cannot be stored as Postgres text, or undefined when it can. */
export function unstorableText(s: string): string | undefined {
  const m = UNSTORABLE.exec(s);
  if (!m) return undefined;
  return m[0] === '\u0000' ? 'must not contain U+0000 (NUL)' : 'must not contain an unpaired UTF-16 surrogate';
}

/**
 * Request bodies nest at most this deep: a body object holding flat objects
 * of scalars (`context`). Deeper input is refused here, before
 * class-transformer walks it: it recurses, and 8,000 levels overflow the stack.
 */
const MAX_BODY_DEPTH = 2;
/**
 * The fields that carry JSON of the caller's own (docs/requests.md): a client
 * tool's schema and output, a question's answers, session rules. Deep enough
 * for what they hold, still far from any stack's limit.
 */
const DEEP_FIELDS: Record<string, number> = { client_tools: 32, output: 32, answers: 3, permissions: 3 };

const bad = (message: string) => new BadRequestException(message);
const join = (parent: string, key: string) => (parent ? `${parent}.${key}` : key);

/**
 * Checks what a client sent before any DTO sees it, so that no later step
 * can fail on it with a 500: every string and key is storable text, a query
 * parameter is given once, and a body nests no deeper than our DTOs do.
 * The walk uses its own stack, so hostile depth cannot overflow it either.
 */
export function checkRawInput(value: unknown, { type, data }: Pick<ArgumentMetadata, 'type' | 'data'>): void {
  if (type === 'query') {
    checkQuery(value, data);
    return;
  }
  if (type === 'param') {
    checkText(value, data ?? 'path parameter');
    return;
  }
  if (type === 'body') {
    checkBody(value);
    return;
  }
}

function checkText(value: unknown, name: string): void {
  if (typeof value !== 'string') return;
  const why = unstorableText(value);
  if (why) throw bad(`${name} ${why}`);
}

function checkQuery(value: unknown, name: string | undefined): void {
  // Express parses a repeated parameter (`?a=1&a=2`) into an array.
  const entries = name === undefined ? Object.entries(value ?? {}) : [[name, value] as const];
  for (const [key, v] of entries) {
    checkText(key, 'query parameter name');
    if (Array.isArray(v)) throw bad(`${key} must be given once`);
    if (v !== null && typeof v === 'object') throw bad(`${key} must be a plain value`);
    checkText(v, key);
  }
}

function checkBody(body: unknown): void {
  if (body === undefined || body === null) return;
  if (typeof body !== 'object' || Array.isArray(body)) throw bad('The request body must be a JSON object');
  const stack: { value: unknown; path: string; depth: number; limit: number }[] = [{ value: body, path: '', depth: 1, limit: MAX_BODY_DEPTH }];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const { value, path, depth, limit } = top;
    if (typeof value === 'string') {
      checkText(value, path);
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth > limit)
      throw bad(limit === MAX_BODY_DEPTH ? `${path} must be a string, not an object or array` : `${path} nests too deep (at most ${limit} levels in all)`);
    for (const [key, v] of Object.entries(value)) {
      checkText(key, `property name ${JSON.stringify(join(path, key))}`);
      stack.push({ value: v, path: join(path, key), depth: depth + 1, limit: depth === 1 ? (DEEP_FIELDS[key] ?? limit) : limit });
    }
  }
}
