import { of, type Observable } from 'rxjs';
import type { BackendEvent, BackendHealth, PaliadinBackend } from './backend.interface.js';

/**
 * Stands in for a strategy whose driver has not landed yet, so the app still
 * boots with the default configuration. It says so plainly: health is down,
 * and turns fail with `upstream_error`. Deleted once every driver exists.
 */
export class NotBuiltBackend implements PaliadinBackend {
  readonly mode = 'oneshot';

  constructor(readonly kind: string) {}

  runTurn(): Observable<BackendEvent> {
    return of({ type: 'error', code: 'upstream_error', message: `The ${this.kind} backend is not available in this build` });
  }

  async reset(): Promise<void> {}

  async health(): Promise<BackendHealth> {
    return { status: 'down', detail: `the ${this.kind} backend is not available in this build; set PALIADIN_BACKEND=disabled` };
  }
}
