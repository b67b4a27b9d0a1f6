import { describe, expect, it } from '@jest/globals';
import { WORD_JOINER, agentMessage } from './agent-input.js';
import { agentPermissions, splitList } from './agent-permissions.js';
import { TrailerGate } from './trailer-gate.js';

const TRAILER = '<!-- paliadin-meta {"used_tools":["Read"],"rows_seen":[42],"classifier_tag":"case_lookup"} -->';

/** Feeds `answer` through a gate in pieces of `size` characters; returns what went out and the end. */
function gated(answer: string, size: number) {
  const gate = new TrailerGate();
  const out: string[] = [];
  for (let i = 0; i < answer.length; i += size) out.push(gate.push(answer.slice(i, i + size)));
  const end = gate.end();
  return { streamed: out.join('') + end.text, pieces: out, meta: end.meta };
}

describe('the trailer gate', () => {
  it.each([1, 2, 3, 7, 1000])('streams the answer and keeps its trailer back, whatever the pieces (%i chars)', (size) => {
    const r = gated(`Fall 42: [Fall](paliad:case/42) <b>ok</b> <!-- a comment --> x < y\n\n${TRAILER}\n`, size);
    expect(r.streamed).toBe('Fall 42: [Fall](paliad:case/42) <b>ok</b> <!-- a comment --> x < y\n\n');
    expect(r.meta).toEqual({ usedTools: ['Read'], rowsSeen: [42], classifierTag: 'case_lookup' });
  });

  it('lets text out as it comes, holding only what may be a trailer starting', () => {
    const gate = new TrailerGate();
    expect(gate.push('Hallo ')).toBe('Hallo ');
    expect(gate.push('Welt <')).toBe('Welt ');
    expect(gate.push('!-- pali')).toBe('');
    expect(gate.push('adin-meta {"used_tools":[]')).toBe('');
    expect(gate.push('} -->')).toBe('');
    expect(gate.end()).toEqual({ text: '', meta: { usedTools: [], rowsSeen: [], classifierTag: '' } });
  });

  it('a marker quoted mid-answer goes out once text follows it; one that is not closed goes out at the end', () => {
    const quoted = `The trailer looks like ${TRAILER} and ends the answer.`;
    const r = gated(quoted, 5);
    expect(r.streamed).toBe(quoted);
    expect(r.meta).toBeUndefined();
    expect(r.pieces.join('').length).toBe(quoted.length); // all of it before the end
    const open = gated('An open <!-- paliadin-meta {"used_tools": [', 4);
    expect(open.streamed).toBe('An open <!-- paliadin-meta {"used_tools": [');
    expect(open.meta).toBeUndefined();
  });

  it('a trailer with bad JSON is still dropped, with empty meta', () => {
    const r = gated('Antwort\n<!-- paliadin-meta {not json} -->', 3);
    expect(r.streamed).toBe('Antwort\n');
    expect(r.meta).toEqual({ usedTools: [], rowsSeen: [], classifierTag: '' });
  });
});

describe("the stream-json agent's input", () => {
  it('keeps line breaks and text, drops control characters', () => {
    expect(agentMessage('a\r\nb\rc\nd\te')).toBe('a\nb\nc\nd\te');
    expect(agentMessage('\x1b[31mred\x1b[0m \x03\x04\x07\x08\x7f\u009b2J ok 👋 Grüße')).toBe('[31mred[0m 2J ok 👋 Grüße');
  });

  it('keeps a leading slash and @mentions from acting: they become plain text', () => {
    expect(agentMessage('/clear')).toBe(`${WORD_JOINER}/clear`);
    expect(agentMessage('see @/etc/passwd and @"a b" or\n@x, but mail a@b.c')).toBe(
      `see ${WORD_JOINER}@/etc/passwd and ${WORD_JOINER}@"a b" or\n${WORD_JOINER}@x, but mail a@b.c`,
    );
    expect(agentMessage('@start')).toBe(`${WORD_JOINER}@start`);
    expect(agentMessage('a / b')).toBe('a / b');
  });
});

describe('stream-json agent permissions', () => {
  it('splits the lists on top-level commas and puts the workspace into the rules', () => {
    expect(splitList(' Read , Glob,, Bash(git log -n 1, *) ')).toEqual(['Read', 'Glob', 'Bash(git log -n 1, *)']);
    const rules = { tools: 'Read,Glob,Grep,Edit,Write', allow: 'Read({workspace}/**),Edit({workspace}/**)', ask: 'Write', deny: 'Edit({workspace}/secret/**)' };
    expect(agentPermissions(rules, '/srv/ws/s1')).toEqual({
      tools: ['Read', 'Glob', 'Grep', 'Edit', 'Write'],
      allow: ['Read(//srv/ws/s1/**)', 'Edit(//srv/ws/s1/**)'],
      ask: ['Write'],
      deny: ['Edit(//srv/ws/s1/secret/**)'],
    });
    expect(agentPermissions({ tools: '', allow: '', ask: '', deny: '' }, '/w')).toEqual({ tools: [], allow: [], ask: [], deny: [] });
  });

  it("adds the session's rules after the deployment's, with its workspace put in too", () => {
    const rules = { tools: 'Read,Edit,Write', allow: 'Read({workspace}/**)', ask: '', deny: 'Bash' };
    expect(agentPermissions(rules, '/w', { ask: ['Edit({workspace}/**)'], deny: ['WebFetch'], allow: ['Grep'] })).toEqual({
      tools: ['Read', 'Edit', 'Write'],
      allow: ['Read(//w/**)', 'Grep'],
      ask: ['Edit(//w/**)'],
      deny: ['Bash', 'WebFetch'],
    });
  });
});
