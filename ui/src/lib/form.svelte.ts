// The submit cycle every form shares: busy while the request runs, the server's
// message and its per-field errors (422 `fields`) kept for display next to inputs.
import { ApiError } from './api/client';
import { errorMessage } from './format';

export class FormState {
  busy = $state(false);
  error = $state<string | null>(null);
  fields = $state<Record<string, string>>({});

  /** Runs `task`; true when it succeeded. Errors are kept, never thrown. */
  async submit(task: () => Promise<void>): Promise<boolean> {
    this.busy = true;
    this.error = null;
    this.fields = {};
    try {
      await task();
      return true;
    } catch (cause) {
      if (cause instanceof ApiError) this.fields = cause.fields;
      this.error = errorMessage(cause);
      return false;
    } finally {
      this.busy = false;
    }
  }

  /** Forgets the server's answer: call when the user edits the form again, so a field
   *  error of the last attempt neither shows nor blocks the next one. */
  reset(): void {
    this.error = null;
    this.fields = {};
  }

  /** The server's error for `field` (dotted path, e.g. `network.dns_domain`). */
  field(name: string): string | null {
    return this.fields[name] ?? null;
  }
}
