import { of, type Observable } from 'rxjs';
import type { BackendEvent, BackendHealth, PaliadinBackend } from '../backend.interface.js';

/** PALIADIN_BACKEND=disabled: the routes exist, every turn fails with `disabled`. */
export class DisabledBackend implements PaliadinBackend {
  readonly kind = 'disabled';
  readonly mode = 'oneshot';

  runTurn(): Observable<BackendEvent> {
    return of({ type: 'error', code: 'disabled', message: 'The Paliadin agent is disabled on this server' });
  }

  /** Nothing runs, so there is nothing to stop. */
  reset(): Promise<void> {
    return Promise.resolve();
  }

  health(): Promise<BackendHealth> {
    return Promise.resolve({ status: 'disabled', detail: 'PALIADIN_BACKEND=disabled' });
  }
}
