import { Observable } from 'rxjs';
import type { BackendEvent, BackendTurnRequest } from '../../src/backends/backend.interface.js';
import { ScriptedBackend } from './scripted-backend.js';

/** The scripted backend, but a turn whose message is `ask me` first asks its caller for a permission. */
export class AskingBackend extends ScriptedBackend {
  readonly offersRequests = true;
  override runTurn(req: BackendTurnRequest): Observable<BackendEvent> {
    if (req.message !== 'ask me') return super.runTurn(req);
    return new Observable<BackendEvent>((sub) => {
      const stop = new AbortController();
      void req
        .asks!.ask({ kind: 'permission', tool: 'Write', inputSummary: 'notes.txt', input: { file_path: 'notes.txt' }, grantRule: 'Write' }, stop.signal)
        .then((reply) => {
          sub.next({ type: 'done', response: `asked: ${JSON.stringify(reply.outcome)}` });
          sub.complete();
        });
      return () => stop.abort();
    });
  }
}
