/**
 * A small ACP agent of our own, for what the real agents never do or do
 * only when broken: run by Node as it is (types stripped), as
 * PALIADIN_ACP_AGENT=command. Its behaviour is its first argument:
 *
 * - `files`: each prompt is a JSON list of file calls, [{"read": path} |
 *   {"write": path, "content": text}], made through the client's fs methods;
 *   the answer says, one line each, `ok <content>` or `refused <message>`.
 * - `crash-at-start`: writes a reason to stderr and exits 3 before any ACP.
 * - `garbage`: answers every line with text that is not JSON-RPC.
 * - `crash-mid-turn`: answers a prompt with a word, then exits 1.
 */
import { randomUUID } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { agent, ndJsonStream, type AgentContext } from '@agentclientprotocol/sdk';

const mode = process.argv[2] ?? 'files';

if (mode === 'crash-at-start') {
  process.stderr.write('test agent: no licence for this machine\n');
  process.exit(3);
}
if (mode === 'garbage') {
  process.stdin.on('data', () => process.stdout.write('this is not JSON-RPC\n'));
} else {
  const say = (client: AgentContext, sessionId: string, text: string) =>
    client.notify('session/update', { sessionId, update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text } } });

  const app = agent({ name: 'paliadin-test-agent' })
    .onRequest('initialize', () => ({
      protocolVersion: 1,
      agentCapabilities: { loadSession: false },
      agentInfo: { name: 'paliadin-test-agent', version: '1.2.3' },
    }))
    .onRequest('session/new', () => ({ sessionId: randomUUID() }))
    .onRequest('session/prompt', async ({ params, client }) => {
      const text = params.prompt.map((b) => (b.type === 'text' ? b.text : '')).join('');
      if (mode === 'crash-mid-turn') {
        await say(client, params.sessionId, 'Half ');
        setTimeout(() => process.exit(1), 50);
        return new Promise<never>(() => undefined);
      }
      const calls = JSON.parse(text.slice(text.indexOf('['))) as ({ read: string } | { write: string; content: string })[];
      for (const call of calls) {
        try {
          if ('read' in call) {
            const { content } = await client.request('fs/read_text_file', { sessionId: params.sessionId, path: call.read });
            await say(client, params.sessionId, `ok ${content}\n`);
          } else {
            await client.request('fs/write_text_file', { sessionId: params.sessionId, path: call.write, content: call.content });
            await say(client, params.sessionId, 'ok written\n');
          }
        } catch (e) {
          await say(client, params.sessionId, `refused ${(e as Error).message}\n`);
        }
      }
      return { stopReason: 'end_turn' as const };
    });
  app.connect(ndJsonStream(Writable.toWeb(process.stdout), Readable.toWeb(process.stdin) as ReadableStream<Uint8Array>));
}
