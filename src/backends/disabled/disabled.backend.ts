import { of, type Observable } from 'rxjs';
import type { BackendEvent, BackendHealth, PaliadinBackend } from '../backend.interface.js';

/** PALIADIN_BACKEND=disabled: the routes exist, every turn fails with `disabled`. */
export class DisabledBackend implements PaliadinBackend {
  readonly kind = 'disabled';
  readonly mode = 'oneshot';

  runTurn(): Observable<BackendEvent> {
    return of({ type: 'error', code: 'disabled', message: 'The Paliadin agent is disabled on this server' });
  }

  async reset(): Promise<void> {}

  async health(): Promise<BackendHealth> {
    return { status: 'disabled', detail: 'PALIADIN_BACKEND=disabled' };
  }
}
