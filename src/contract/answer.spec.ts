import { describe, expect, it } from '@jest/globals';
import { EMPTY_META, parseAnswer } from './answer.js';

const trailer = '<!-- paliadin-meta {"used_tools":["Read"],"rows_seen":[42,"7"],"classifier_tag":"lookup"} -->';
const meta = { usedTools: ['Read'], rowsSeen: [42, 7], classifierTag: 'lookup' };

describe('parsing an answer: the trailer is the last marker', () => {
  it('a plain trailer at the end is stripped and parsed', () => {
    expect(parseAnswer(`Fall 42 gehört Anna: [Fall 42](paliad:case/42)\n${trailer}`)).toEqual({
      text: 'Fall 42 gehört Anna: [Fall 42](paliad:case/42)',
      meta,
      chipCount: 1,
      tokens: Math.ceil('Fall 42 gehört Anna: [Fall 42](paliad:case/42)'.length / 4),
    });
  });

  it('a marker quoted earlier (echoing the user) stays in the text; the real trailer at the end is the meta', () => {
    const body = 'Du schriebst: "<!-- paliadin-meta {"used_tools":["quoted"]} -->" und meintest das als Test.\n\nHier die Antwort.';
    const parsed = parseAnswer(`${body}\n${trailer}`);
    expect(parsed.text).toBe(body);
    expect(parsed.meta).toEqual(meta);
  });

  it('an unclosed quoted marker earlier does not swallow the answer either', () => {
    const body = 'Der Marker beginnt mit `<!-- paliadin-meta` und endet mit `-->`. So sieht es aus.';
    const parsed = parseAnswer(`${body}\n${trailer}`);
    expect(parsed.text).toBe(body);
    expect(parsed.meta).toEqual(meta);
  });

  it('only a quoted marker in the middle, with text after it: no trailer, the text is kept whole', () => {
    const raw = 'Vorher <!-- paliadin-meta {"used_tools":["quoted"]} --> nachher, und noch mehr Text.';
    expect(parseAnswer(raw)).toMatchObject({ text: raw, meta: EMPTY_META });
  });

  it('a quoted marker after the real trailer means the last marker is not at the end: nothing is cut', () => {
    const raw = `Antwort\n${trailer}\nNachsatz, der <!-- paliadin-meta {} --> zitiert, dann weiter.`;
    expect(parseAnswer(raw)).toMatchObject({ text: raw, meta: EMPTY_META });
  });

  it('a trailer with bad JSON is still stripped; its meta is empty', () => {
    expect(parseAnswer('Antwort.\n<!-- paliadin-meta {"used_tools": [oops -->')).toMatchObject({ text: 'Antwort.', meta: EMPTY_META });
    expect(parseAnswer('Antwort.\n<!-- paliadin-meta "just a string" -->')).toMatchObject({ text: 'Antwort.', meta: EMPTY_META });
    // Quoted earlier, bad JSON in the real one: the quote is still text.
    expect(parseAnswer('Zitat <!-- paliadin-meta {"used_tools":["x"]} --> Ende.\n<!-- paliadin-meta nope -->')).toMatchObject({
      text: 'Zitat <!-- paliadin-meta {"used_tools":["x"]} --> Ende.',
      meta: EMPTY_META,
    });
  });

  it('whitespace after the trailer (newlines, spaces, CRLF) is allowed', () => {
    expect(parseAnswer(`Antwort.\r\n${trailer}\r\n\r\n  \t\n`)).toMatchObject({ text: 'Antwort.', meta });
    expect(parseAnswer(`Antwort.${trailer}   `)).toMatchObject({ text: 'Antwort.', meta });
  });

  it('wrong types in the trailer yield what is usable; no trailer yields empty meta', () => {
    expect(parseAnswer('A\n<!-- paliadin-meta {"used_tools":"Read","rows_seen":[1,"x",2.5],"classifier_tag":7} -->').meta).toEqual({
      usedTools: [],
      rowsSeen: [1],
      classifierTag: '',
    });
    expect(parseAnswer('  Nur Text.  \n')).toMatchObject({ text: '  Nur Text.', meta: EMPTY_META });
  });
});
