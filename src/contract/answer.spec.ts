import { describe, expect, it } from '@jest/globals';
import { parseAnswer } from './answer.js';

const TRAILER = '<!-- paliadin-meta {"used_tools":["search"],"rows_seen":[7],"classifier_tag":"lookup"} -->';

describe('parseAnswer: the trailer', () => {
  it('is stripped and parsed', () => {
    const a = parseAnswer(`Antwort.\n${TRAILER}`);
    expect(a.text).toBe('Antwort.');
    expect(a.meta).toEqual({ usedTools: ['search'], rowsSeen: [7], classifierTag: 'lookup' });
  });

  it('is the last marker: an answer that quotes the marker earlier keeps its text and meta', () => {
    const quoted = 'Du schriebst: "<!-- paliadin-meta {\\"x\\":1} -->" — das ist der Marker.';
    const a = parseAnswer(`${quoted}\nMehr Text.\n${TRAILER}`);
    expect(a.text).toBe(`${quoted}\nMehr Text.`);
    expect(a.meta.classifierTag).toBe('lookup');
  });

  it('is only a trailer at the very end: a quoted marker with text after it leaves the answer whole', () => {
    const raw = 'Vorher <!-- paliadin-meta {"used_tools":["x"]} --> und danach noch Text.';
    const a = parseAnswer(raw);
    expect(a.text).toBe(raw);
    expect(a.meta.usedTools).toEqual([]);
  });

  it('with bad JSON gives empty meta, and the trailer is still stripped', () => {
    const a = parseAnswer('Antwort <!-- paliadin-meta {not json} -->');
    expect(a.text).toBe('Antwort');
    expect(a.meta).toEqual({ usedTools: [], rowsSeen: [], classifierTag: '' });
  });

  it('may be followed by whitespace', () => {
    expect(parseAnswer(`A\n${TRAILER}\n\n  `).text).toBe('A');
  });
});
