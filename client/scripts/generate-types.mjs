// Generates the client's types from the service's OpenAPI document:
//   src/generated/openapi.ts  every route, body and schema (openapi-typescript)
//   src/generated/events.ts   each event stream's event names and data types (from the doc's x-events)
// Run through `npm run client:types` at the repository's top; a test regenerates
// them from a running server and fails when the committed ones differ.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

const HEADER = "// Generated from the service's OpenAPI document by scripts/generate-types.mjs: do not edit.\n\n";

/** The event streams the client reads: the route, and the names of what is generated for it. */
const STREAMS = [
  { route: '/api/paliadin/stream/{id}', map: 'TurnEventData', names: 'TURN_EVENTS' },
  { route: '/api/sessions/{sid}/events', map: 'SessionEventData', names: 'SESSION_EVENTS' },
];

/** A schema of x-events as a TypeScript type: a $ref, or allOf of $refs. */
function typeOf(schema) {
  if (schema.$ref) return `components['schemas']['${schema.$ref.split('/').at(-1)}']`;
  if (schema.allOf) return schema.allOf.map(typeOf).join(' & ');
  throw new Error(`x-events: cannot type ${JSON.stringify(schema)}`);
}

function eventsFile(doc) {
  let out = `${HEADER}import type { components } from './openapi.js';\n`;
  for (const { route, map, names } of STREAMS) {
    const events = doc.paths[route]?.get?.responses?.['200']?.content?.['text/event-stream']?.['x-events'];
    if (!events) throw new Error(`the OpenAPI document has no x-events for ${route}`);
    const entries = Object.entries(events).sort(([a], [b]) => a.localeCompare(b));
    out += `\n/** The data of each event of ${route}, by event name. */\nexport interface ${map} {\n`;
    for (const [name, schema] of entries) out += `  ${name}: ${typeOf(schema)};\n`;
    out += `}\n\n/** The event names of ${route}, at run time. */\nexport const ${names} = [${entries.map(([n]) => `'${n}'`).join(', ')}] as const;\n`;
  }
  return out;
}

/** The generated files' text for `doc`, by path under client/. */
export async function generate(doc) {
  const events = eventsFile(doc);
  // openapi-typescript resolves references in the object it is given: it gets a copy.
  const ast = await openapiTS(structuredClone(doc), { alphabetize: true, defaultNonNullable: false, emptyObjectsUnknown: true });
  return { 'src/generated/openapi.ts': HEADER + astToString(ast), 'src/generated/events.ts': events };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const input = process.argv[2];
  if (!input) throw new Error('usage: node scripts/generate-types.mjs <openapi.json>');
  const doc = JSON.parse(await readFile(input, 'utf8'));
  const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
  for (const [file, text] of Object.entries(await generate(doc))) await writeFile(path.join(root, file), text);
}
