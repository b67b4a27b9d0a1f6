import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { CLIENT_TOOL_NAME_RE, MAX_CLIENT_TOOLS, MAX_CLIENT_TOOLS_BYTES, type ClientToolDeclaration } from './requests.js';

// Unknown keywords are allowed (schemas written for other validators carry them); wrong known ones are not.
const OPTIONS = { strict: false, allErrors: true };
/**
 * The JSON Schema dialects a declaration may name in `$schema`. Without one
 * it is read as 2020-12, the dialect of MCP tool schemas (and the agent's tools).
 */
const DIALECTS: { match: RegExp; ajv: Ajv }[] = [
  { match: /^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/, ajv: new Ajv2020(OPTIONS) },
  { match: /^https?:\/\/json-schema\.org\/draft\/2019-09\/schema#?$/, ajv: new Ajv2019(OPTIONS) },
  { match: /^https?:\/\/json-schema\.org\/draft-0[67]\/schema#?$/, ajv: new Ajv(OPTIONS) },
];
const DEFAULT_DIALECT = DIALECTS[0].ajv;

function dialectOf(schema: object): Ajv | undefined {
  const declared = (schema as { $schema?: unknown }).$schema;
  if (declared === undefined) return DEFAULT_DIALECT;
  return typeof declared === 'string' ? DIALECTS.find((d) => d.match.test(declared))?.ajv : undefined;
}

/**
 * What is wrong with a list of client tool declarations (docs/requests.md),
 * naming the field, or undefined when nothing is: the shape of each entry,
 * the names, duplicates, a schema that is not JSON Schema (of an object, as
 * a tool's input must be), the count and the size in all. `field` is where
 * the list sits in the request body.
 */
export function clientToolsProblem(tools: unknown, field = 'client_tools'): string | undefined {
  if (!Array.isArray(tools)) return `${field} must be an array`;
  if (tools.length > MAX_CLIENT_TOOLS) return `${field} may declare at most ${MAX_CLIENT_TOOLS} tools (got ${tools.length})`;
  if (Buffer.byteLength(JSON.stringify(tools)) > MAX_CLIENT_TOOLS_BYTES) return `${field} must be at most ${MAX_CLIENT_TOOLS_BYTES / 1024} KB in all`;
  const seen = new Set<string>();
  for (const [i, tool] of tools.entries()) {
    const at = `${field}[${i}]`;
    if (!tool || typeof tool !== 'object' || Array.isArray(tool)) return `${at} must be an object {name, description, input_schema}`;
    const { name, description, input_schema: schema, ...rest } = tool as Record<string, unknown>;
    const [extra] = Object.keys(rest) as (string | undefined)[];
    if (extra !== undefined) return `${at}.${extra} is not a field of a client tool (name, description, input_schema)`;
    if (typeof name !== 'string' || !CLIENT_TOOL_NAME_RE.test(name)) return `${at}.name must be 1-64 characters of a-z, A-Z, 0-9, _ and -`;
    if (seen.has(name)) return `${at}.name "${name}" is declared twice`;
    seen.add(name);
    if (typeof description !== 'string' || !description.trim()) return `${at}.description must be a non-empty string`;
    const problem = schemaProblem(schema);
    if (problem) return `${at}.input_schema ${problem}`;
  }
  return undefined;
}

function schemaProblem(schema: unknown): string | undefined {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return 'must be a JSON Schema object';
  if ((schema as { type?: unknown }).type !== 'object') return 'must describe an object (type: "object"), as a tool input is one';
  const ajv = dialectOf(schema);
  if (!ajv) return '$schema names a dialect this server does not read (2020-12, 2019-09, draft-07 or draft-06; none means 2020-12)';
  try {
    if (!ajv.validateSchema(schema)) return `is not a valid JSON Schema: ${ajv.errorsText(ajv.errors, { dataVar: 'schema' })}`;
    compile(ajv, schema);
  } catch (e) {
    return `is not a usable JSON Schema: ${(e as Error).message}`;
  }
  return undefined;
}

/**
 * Compiles without keeping: Ajv caches every schema it compiles (and
 * claims its $id), and declarations arrive with every turn, so each is
 * forgotten once compiled; the function stays usable.
 */
function compile(ajv: Ajv, schema: object): ValidateFunction {
  try {
    return ajv.compile(schema);
  } finally {
    ajv.removeSchema(schema);
  }
}

/** A validator of one declared tool's input (checked by clientToolsProblem); its `problem` says what does not match, in a line the model can act on. */
export function inputValidator(tool: ClientToolDeclaration): (input: unknown) => string | undefined {
  const ajv = dialectOf(tool.input_schema) ?? DEFAULT_DIALECT;
  const validate = compile(ajv, tool.input_schema);
  return (input) => (validate(input) ? undefined : ajv.errorsText(validate.errors, { dataVar: 'input' }));
}
