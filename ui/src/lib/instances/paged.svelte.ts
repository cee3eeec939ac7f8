// A list read page by page (`next_cursor`), with "load more" — the detail page's
// jobs and audit tabs, the Volumes page.
import { errorMessage } from '../format';

interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

export class PagedList<T extends { id: string }> {
  items = $state<T[]>([]);
  next = $state<string | null>(null);
  loading = $state(false);
  loaded = $state(false);
  error = $state<string | null>(null);

  /** `fetchPage(cursor, limit)`: `limit` only when reading again what was loaded. */
  constructor(private readonly fetchPage: (cursor?: string, limit?: number) => Promise<Page<T>>) {}

  /** The first page again (drops what was loaded). */
  async reload(): Promise<void> {
    await this.fetch(undefined);
  }

  /** Everything loaded so far read again in one request — at least a page of `page`
   *  rows (new rows may have arrived), at most `max` — so a live update neither drops
   *  the pages "load more" added nor leaves them stale. */
  async refresh(page = 50, max = 1000): Promise<void> {
    await this.fetch(undefined, Math.min(Math.max(this.items.length, page), max));
  }

  async more(): Promise<void> {
    if (this.next) await this.fetch(this.next);
  }

  /** A live update: replaces the item with the same id, or puts a new one first. */
  upsert(item: T): void {
    const known = this.items.some((i) => i.id === item.id);
    this.items = known ? this.items.map((i) => (i.id === item.id ? item : i)) : [item, ...this.items];
  }

  /** Bumped by every read from the start: a response of an older read (or a "load
   *  more" begun before it) is dropped, so a slow answer never overwrites a newer one
   *  (rows of one order under another's header, a cursor of another order). */
  private generation = 0;

  private async fetch(cursor: string | undefined, limit?: number): Promise<void> {
    const generation = cursor ? this.generation : ++this.generation;
    this.loading = true;
    this.error = null;
    try {
      const page = await this.fetchPage(cursor, limit);
      if (generation !== this.generation) return;
      if (cursor) {
        // Two "load more" of one cursor, or a row that moved between pages: once each.
        // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local lookup, not state
        const known = new Set(this.items.map((item) => item.id));
        this.items = [...this.items, ...page.items.filter((item) => !known.has(item.id))];
      } else {
        this.items = page.items;
      }
      this.next = page.next_cursor ?? null;
      this.loaded = true;
    } catch (cause) {
      if (generation === this.generation) this.error = errorMessage(cause);
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }
}
