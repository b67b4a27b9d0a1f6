import { describe, expect, it } from '@jest/globals';
import { clientToolsProblem, inputValidator } from './client-tools.js';

const tool = (over: Record<string, unknown> = {}) => ({
  name: 'open_case',
  description: 'Opens a case page',
  input_schema: { type: 'object', properties: { case_id: { type: 'integer' } }, required: ['case_id'] },
  ...over,
});

describe('client tool declarations', () => {
  it('accepts up to 32 well-formed tools', () => {
    expect(clientToolsProblem([tool()])).toBeUndefined();
    expect(clientToolsProblem(Array.from({ length: 32 }, (_, i) => tool({ name: `t${i}` })))).toBeUndefined();
    expect(clientToolsProblem([])).toBeUndefined();
  });

  it('names the field of each mistake', () => {
    expect(clientToolsProblem('x')).toBe('client_tools must be an array');
    expect(clientToolsProblem(Array.from({ length: 33 }, (_, i) => tool({ name: `t${i}` })))).toBe('client_tools may declare at most 32 tools (got 33)');
    expect(clientToolsProblem([tool({ description: 'x'.repeat(70_000) })])).toBe('client_tools must be at most 64 KB in all');
    expect(clientToolsProblem([tool(), tool()])).toBe('client_tools[1].name "open_case" is declared twice');
    expect(clientToolsProblem([tool({ name: 'open case' })])).toBe('client_tools[0].name must be 1-64 characters of a-z, A-Z, 0-9, _ and -');
    expect(clientToolsProblem([tool({ name: 'x'.repeat(65) })])).toMatch(/^client_tools\[0\]\.name must be/);
    expect(clientToolsProblem([tool({ description: '' })])).toBe('client_tools[0].description must be a non-empty string');
    expect(clientToolsProblem([tool({ extra: 1 })])).toBe('client_tools[0].extra is not a field of a client tool (name, description, input_schema)');
    expect(clientToolsProblem([7])).toBe('client_tools[0] must be an object {name, description, input_schema}');
    expect(clientToolsProblem([tool({ input_schema: { type: 'string' } })])).toBe(
      'client_tools[0].input_schema must describe an object (type: "object"), as a tool input is one',
    );
    expect(clientToolsProblem([tool({ input_schema: { type: 'object', properties: { a: { type: 'strin' } } } })])).toMatch(
      /^client_tools\[0\]\.input_schema is not a valid JSON Schema: schema\/properties\/a\/type/,
    );
    expect(clientToolsProblem([tool({ input_schema: { type: 'object', $ref: '#/nowhere' } })])).toMatch(
      /^client_tools\[0\]\.input_schema is not a usable JSON Schema/,
    );
    expect(clientToolsProblem([tool()], 'session.client_tools')).toBeUndefined();
    expect(clientToolsProblem([tool({ name: '' })], 'x')).toMatch(/^x\[0\]\.name/);
  });

  it('reads the JSON Schema dialects tools are written in: 2020-12 (also when none is named), 2019-09, draft-07; another is a 400', () => {
    const arrays = { type: 'object', properties: { pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false } } };
    for (const $schema of [undefined, 'https://json-schema.org/draft/2020-12/schema']) {
      const t = tool({ input_schema: { ...($schema ? { $schema } : {}), ...arrays } });
      expect(clientToolsProblem([t])).toBeUndefined();
      // prefixItems is 2020-12's: it is applied.
      expect(inputValidator(t as never)({ pair: ['a', 1] })).toBeUndefined();
      expect(inputValidator(t as never)({ pair: ['a', 'b'] })).toBe('input/pair/1 must be integer');
    }
    expect(clientToolsProblem([tool({ input_schema: { $schema: 'https://json-schema.org/draft/2019-09/schema', type: 'object' } })])).toBeUndefined();
    expect(
      clientToolsProblem([tool({ input_schema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', definitions: {} } })]),
    ).toBeUndefined();
    expect(clientToolsProblem([tool({ input_schema: { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' } })])).toBe(
      'client_tools[0].input_schema $schema names a dialect this server does not read (2020-12, 2019-09, draft-07 or draft-06; none means 2020-12)',
    );
    expect(clientToolsProblem([tool({ input_schema: { $schema: 7, type: 'object' } })])).toMatch(/\$schema names a dialect/);
  });

  it('validates an input against its schema, again and again (a schema with an $id included)', () => {
    const t = tool({ input_schema: { $id: 'https://example.com/s', type: 'object', properties: { case_id: { type: 'integer' } }, required: ['case_id'] } });
    for (let i = 0; i < 3; i++) {
      expect(clientToolsProblem([t])).toBeUndefined();
      const problem = inputValidator(t);
      expect(problem({ case_id: 42 })).toBeUndefined();
      expect(problem({ case_id: 'x' })).toBe('input/case_id must be integer');
      expect(problem({})).toBe("input must have required property 'case_id'");
    }
  });
});
