// A list read page by page (`next_cursor`), with "load more" — the detail page's
// jobs and audit tabs.
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

  constructor(private readonly fetchPage: (cursor?: string) => Promise<Page<T>>) {}

  /** The first page again (drops what was loaded). */
  async reload(): Promise<void> {
    await this.fetch(undefined);
  }

  async more(): Promise<void> {
    if (this.next) await this.fetch(this.next);
  }

  /** A live update: replaces the item with the same id, or puts a new one first. */
  upsert(item: T): void {
    const known = this.items.some((i) => i.id === item.id);
    this.items = known ? this.items.map((i) => (i.id === item.id ? item : i)) : [item, ...this.items];
  }

  private async fetch(cursor: string | undefined): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      const page = await this.fetchPage(cursor);
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
