// A tiny history-API router: the server answers every non-/api path with
// index.html, so deep links and reloads land on the right page.
class Router {
  path = $state(window.location.pathname);
  query = $state(new URLSearchParams(window.location.search));

  constructor() {
    window.addEventListener('popstate', () => this.sync());
  }

  private sync(): void {
    this.path = window.location.pathname;
    this.query = new URLSearchParams(window.location.search);
  }

  navigate(to: string, { replace = false } = {}): void {
    if (to === window.location.pathname + window.location.search) return;
    if (replace) window.history.replaceState(null, '', to);
    else window.history.pushState(null, '', to);
    this.sync();
  }

  /**
   * This page with some query parameters changed (null or '' removes one, a list
   * repeats it). Replaces the history entry unless `push`: a list's search and order
   * follow the URL without turning every keystroke into a Back step.
   */
  setQuery(changes: Record<string, string | readonly string[] | null>, { push = false } = {}): void {
    // A scratch copy turned into the URL at once; `this.query` is what components track.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const query = new URLSearchParams(this.query);
    for (const [key, value] of Object.entries(changes)) {
      query.delete(key);
      for (const item of typeof value === 'string' ? [value] : (value ?? [])) if (item) query.append(key, item);
    }
    const search = query.toString();
    this.navigate(`${this.path}${search ? `?${search}` : ''}`, { replace: !push });
  }

  private typing: ReturnType<typeof setTimeout> | undefined;

  /**
   * `setQuery` once typing pauses: browsers limit how often a page may replace its
   * history entry (Safari throws after 100 times in 30 s), and a search box would
   * otherwise replace it per keystroke. Dropped if the user has left the page by then.
   */
  setQueryWhenTypingPauses(changes: Record<string, string | null>): void {
    clearTimeout(this.typing);
    const path = this.path;
    this.typing = setTimeout(() => {
      if (this.path === path) this.setQuery(changes);
    }, 300);
  }

  /** The current path's parameters if it matches `pattern` (e.g. `/instances/:id`), else null. */
  params(pattern: string): Record<string, string> | null {
    return matchPath(pattern, this.path);
  }
}

export const router = new Router();

/** `matchPath('/instances/:id', '/instances/42')` → `{ id: '42' }`; null when it does not match. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const have = path.replace(/\/+$/, '').split('/');
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (const [index, part] of want.entries()) {
    const actual = have[index] ?? '';
    if (part.startsWith(':')) {
      if (!actual) return null;
      params[part.slice(1)] = decodeURIComponent(actual);
    } else if (part !== actual) {
      return null;
    }
  }
  return params;
}

/** The route for `path`: an exact entry first, else the first `:param` pattern that matches. */
export function resolveRoute<T>(routes: Record<string, T>, path: string): T | undefined {
  if (path in routes) return routes[path];
  const pattern = Object.keys(routes).find((key) => key.includes(':') && matchPath(key, path));
  return pattern === undefined ? undefined : routes[pattern];
}

/** Click handler for in-app links: plain clicks navigate without a reload. */
export function link(event: MouseEvent): void {
  const anchor = event.currentTarget as HTMLAnchorElement;
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  router.navigate(anchor.getAttribute('href') ?? '/');
}
