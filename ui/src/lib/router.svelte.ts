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
