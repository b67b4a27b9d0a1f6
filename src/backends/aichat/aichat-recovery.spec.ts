import { describe, expect, it } from '@jest/globals';
import { findAnswer } from './aichat-recovery.js';

const at = (s: number) => new Date(Date.UTC(2026, 10, 21, 12, 0, s)).toISOString();
const start = new Date(Date.UTC(2026, 10, 21, 12, 0, 30));

describe('finding a late answer in an aichat conversation', () => {
  it('takes the assistant entry after the user entry with our message, at or after the start', () => {
    const turns = [
      { role: 'user', content: 'Frage', created_at: at(0) }, // same message, an earlier turn
      { role: 'assistant', content: 'alte Antwort', created_at: at(1) },
      { role: 'user', content: 'Frage', created_at: at(31) },
      { role: 'assistant', content: 'neue Antwort', created_at: at(40) },
    ];
    expect(findAnswer(turns, 'Frage', start)).toBe('neue Antwort');
  });

  it('nothing yet: the user entry has no answer before the next user entry', () => {
    const turns = [
      { role: 'user', content: 'Frage', created_at: at(31) },
      { role: 'user', content: 'Andere', created_at: at(50) },
      { role: 'assistant', content: 'zur anderen', created_at: at(51) },
    ];
    expect(findAnswer(turns, 'Frage', start)).toBeUndefined();
    expect(findAnswer([], 'Frage', start)).toBeUndefined();
  });

  it('a user entry from before the turn (beyond clock skew) is not ours', () => {
    expect(
      findAnswer(
        [
          { role: 'user', content: 'Frage', created_at: at(10) },
          { role: 'assistant', content: 'x', created_at: at(11) },
        ],
        'Frage',
        start,
      ),
    ).toBeUndefined();
  });
});
