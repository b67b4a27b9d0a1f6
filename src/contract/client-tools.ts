import { Ajv, type ValidateFunction } from 'ajv';
import { CLIENT_TOOL_NAME_RE, MAX_CLIENT_TOOLS, MAX_CLIENT_TOOLS_BYTES, type ClientToolDeclaration } from './requests.js';

// Unknown keywords are allowed (schemas written for other validators carry them); wrong known ones are not.
const ajv = new Ajv({ strict: false, allErrors: true });

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
  if (!ajv.validateSchema(schema)) return `is not a valid JSON Schema: ${ajv.errorsText(ajv.errors, { dataVar: 'schema' })}`;
  try {
    compile(schema);
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
function compile(schema: object): ValidateFunction {
  try {
    return ajv.compile(schema);
  } finally {
    ajv.removeSchema(schema);
  }
}

/** A validator of one declared tool's input; its `problem` says what does not match, in a line the model can act on. */
export function inputValidator(tool: ClientToolDeclaration): (input: unknown) => string | undefined {
  const validate = compile(tool.input_schema);
  return (input) => (validate(input) ? undefined : ajv.errorsText(validate.errors, { dataVar: 'input' }));
}
