// A list the server returns whole (`{ items }`) — the clusters, users and API tokens
// pages: its rows (which the page edits in place after an action), whether the first
// read has finished, and the message of the last failed read (shown with a Retry).
import { errorMessage } from './format';

export class LoadedList<T> {
  items = $state<T[]>([]);
  loaded = $state(false);
  error = $state<string | null>(null);

  constructor(private readonly fetchAll: () => Promise<{ items: T[] }>) {}

  /** Reads the list again; an arrow so it can be passed as `onclick={list.load}`. */
  load = async (): Promise<void> => {
    try {
      this.items = (await this.fetchAll()).items;
      this.error = null;
    } catch (cause) {
      this.error = errorMessage(cause);
    } finally {
      this.loaded = true;
    }
  };
}
