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
}

export const router = new Router();

/** Click handler for in-app links: plain clicks navigate without a reload. */
export function link(event: MouseEvent): void {
  const anchor = event.currentTarget as HTMLAnchorElement;
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  router.navigate(anchor.getAttribute('href') ?? '/');
}
