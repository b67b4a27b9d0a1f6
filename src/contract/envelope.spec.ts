import { describe, expect, it } from '@jest/globals';
import { ENVELOPE_RE, buildEnvelope, sanitiseForTerminal } from './envelope.js';

describe('the envelope', () => {
  it('is the line docs/agent-protocol.md describes, and parses back', () => {
    const line = buildEnvelope('0b6f7a52-8c1e-4f7e-9a57-2f8f3c1d9e01', '/srv/r/0b6f7a52-8c1e-4f7e-9a57-2f8f3c1d9e01.md', 'Wer betreut Fall 42?');
    expect(line).toBe('[PALIADIN:0b6f7a52-8c1e-4f7e-9a57-2f8f3c1d9e01 out=/srv/r/0b6f7a52-8c1e-4f7e-9a57-2f8f3c1d9e01.md] Wer betreut Fall 42?');
    expect(ENVELOPE_RE.exec(line)?.slice(1)).toEqual([
      '0b6f7a52-8c1e-4f7e-9a57-2f8f3c1d9e01',
      '/srv/r/0b6f7a52-8c1e-4f7e-9a57-2f8f3c1d9e01.md',
      'Wer betreut Fall 42?',
    ]);
  });

  it('sanitises the message: line breaks and tabs become spaces, every other control character goes', () => {
    expect(sanitiseForTerminal('a\nb\r\nc\rd\te\u2028f')).toBe('a b c d e f');
    expect(sanitiseForTerminal('\x1b[31mred\x1b[0m \x03\x04\x07\x08\x7f\u009b2J ok')).toBe('[31mred[0m 2J ok');
    expect(sanitiseForTerminal('\x1b[201~ end of paste')).toBe('[201~ end of paste');
    expect(sanitiseForTerminal('Grüße 👋 — ünïcödé stays')).toBe('Grüße 👋 — ünïcödé stays');
    expect(buildEnvelope('0b6f7a52-8c1e-4f7e-9a57-2f8f3c1d9e01', '/r/x.md', 'one\ntwo\x1b')).toBe(
      '[PALIADIN:0b6f7a52-8c1e-4f7e-9a57-2f8f3c1d9e01 out=/r/x.md] one two',
    );
  });
});
