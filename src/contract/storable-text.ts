/**
 * Postgres text and jsonb refuse U+0000, and a lone UTF-16 surrogate cannot be
 * encoded as UTF-8. Text from an upstream is made storable before anything
 * stores it: NULs removed, lone surrogates replaced with U+FFFD. Valid text
 * comes back as the same string (the common case costs one regex test).
 */
const SUSPECT = /[\u0000\uD800-\uDFFF]/;

export function storableText(s: string): string {
  if (!SUSPECT.test(s)) return s;
  return s.replaceAll('\u0000', '').toWellFormed();
}

/** storableText over every string in a JSON-like value. */
export function storableValue<T>(v: T): T {
  if (typeof v === 'string') return storableText(v) as T;
  if (Array.isArray(v)) return v.map(storableValue) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [storableText(k), storableValue(x)])) as T;
  return v;
}
