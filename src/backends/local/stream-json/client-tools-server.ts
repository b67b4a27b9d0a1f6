import type { McpSdkServerConfigWithInstance } from '@anthropic-ai/claude-agent-sdk';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { inputValidator } from '../../../contract/client-tools.js';
import type { ClientToolDeclaration } from '../../../contract/requests.js';

/** The MCP server name the client tools sit under: the model sees `mcp__client__<name>`. */
export const CLIENT_TOOLS_SERVER = 'client';

/** Runs one validated call of a client tool (asks the turn's caller) and gives its result. */
export type ClientToolCall = (name: string, input: Record<string, unknown>, signal: AbortSignal) => Promise<CallToolResult>;

/**
 * The caller's declared tools as an in-process MCP server of the agent
 * (docs/requests.md#client-tools). Their schemas are given to the model as
 * declared (JSON Schema, not rebuilt in another validator's terms), and each
 * call's input is checked against its schema here: one that does not match
 * goes back to the model as the validation error and never reaches the
 * caller. `timeoutMs`: Claude Code's own limit on a call, beyond the request's.
 */
export function clientToolsServer(tools: ClientToolDeclaration[], call: ClientToolCall, timeoutMs: number): McpSdkServerConfigWithInstance {
  // The low-level Server, not McpServer: McpServer takes zod shapes, and the caller's schemas are JSON Schema, given as they are.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const server = new Server({ name: CLIENT_TOOLS_SERVER, version: '1.0.0' }, { capabilities: { tools: {} } });
  const declared = new Map(tools.map((t) => [t.name, { tool: t, problem: inputValidator(t) }]));
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    // Always in the model's tool list, never deferred behind a tool search: the caller offers them for this turn.
    tools: tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.input_schema as never, _meta: { 'anthropic/alwaysLoad': true } })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const entry = declared.get(req.params.name);
    if (!entry) return errorResult(`There is no client tool named ${req.params.name}`);
    const input = req.params.arguments ?? {};
    const problem = entry.problem(input);
    if (problem) return errorResult(`The input does not match the tool's schema: ${problem}. Nothing was run; call it again with a valid input.`);
    return call(entry.tool.name, input, extra.signal);
  });
  // The SDK connects whatever it is given to its transport; a low-level Server connects the same way as its McpServer wrapper.
  return { type: 'sdk', name: CLIENT_TOOLS_SERVER, instance: server as never, timeout: timeoutMs };
}

export function errorResult(text: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text }] };
}
