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

  private async fetch(cursor: string | undefined, limit?: number): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      const page = await this.fetchPage(cursor, limit);
      this.items = cursor ? [...this.items, ...page.items] : page.items;
      this.next = page.next_cursor ?? null;
      this.loaded = true;
    } catch (cause) {
      this.error = errorMessage(cause);
    } finally {
      this.loading = false;
    }
  }
}
