// A record table's search text and column order kept in the URL (`?q=…&sort=-created_at`),
// so a reload, a shared link and Back show the same list. Bind an input to `text` (it
// filters at once and reaches the URL when typing pauses) and hand `order` / `sort` to
// the headers.
import { router } from './router.svelte';
import { orderParam, readOrderParam, type SortColumn, type SortOrder } from './sort';

export class ListUrl<K extends string> {
  private readonly keys: readonly K[];

  constructor(
    columns: readonly SortColumn<K>[],
    private readonly fallback: SortOrder<K>,
  ) {
    this.keys = columns.map((column) => column.key);
  }

  /** What the URL says until the user types; follows the URL again when it changes. */
  #text = $derived(router.query.get('q') ?? '');

  get text(): string {
    return this.#text;
  }

  set text(value: string) {
    this.#text = value;
    router.setQueryWhenTypingPauses({ q: value });
  }

  get order(): SortOrder<K> {
    return readOrderParam(router.query.get('sort'), this.keys, this.fallback);
  }

  /** For a header's `onsort`. */
  sort = (next: SortOrder<K>): void => {
    router.setQuery({ sort: orderParam(next, this.fallback) });
  };
}
