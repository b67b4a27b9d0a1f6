import { Observable } from 'rxjs';
import type { AgentAsk, BackendEvent, BackendTurnRequest } from '../../src/backends/backend.interface.js';
import { ScriptedBackend } from './scripted-backend.js';

/** What a turn asks its caller first, by its message: `ask me` a permission, `ask a question` two questions. */
const ASKS: Record<string, AgentAsk> = {
  'ask me': { kind: 'permission', tool: 'Write', inputSummary: 'notes.txt', input: { file_path: 'notes.txt' }, grantRule: 'Write' },
  'ask a question': {
    kind: 'question',
    questions: [
      { question: 'Which format?', options: [{ label: 'PDF' }, { label: 'HTML', description: 'for the browser' }], multi_select: false },
      { question: 'Which parts?', header: 'Parts', options: [{ label: 'Intro' }, { label: 'Body' }, { label: 'Appendix' }], multi_select: true },
    ],
  },
};

/** The scripted backend, but a turn whose message is one of ASKS first asks its caller, then answers with the reply. */
export class AskingBackend extends ScriptedBackend {
  readonly offersRequests = true;
  override runTurn(req: BackendTurnRequest): Observable<BackendEvent> {
    const ask = Object.hasOwn(ASKS, req.message) ? ASKS[req.message] : undefined;
    if (!ask) return super.runTurn(req);
    return new Observable<BackendEvent>((sub) => {
      this.started.push(req);
      const stop = new AbortController();
      void req.asks!.ask(ask, stop.signal).then((reply) => {
        sub.next({ type: 'done', response: `asked: ${JSON.stringify(reply.outcome)}` });
        sub.complete();
      });
      return () => stop.abort();
    });
  }
}
