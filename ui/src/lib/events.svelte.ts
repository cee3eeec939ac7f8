// The live feed from `GET /api/v1/events` (server-sent events), shared by all pages.
// The browser reconnects by itself with Last-Event-ID; when the connection is
// refused (expired access cookie) we refresh the session and open a new one.
import { refreshSession } from './api/client';

export type EventHandler = (kind: string, data: unknown) => void;

const KINDS = [
  'job.updated',
  'instance.appeared',
  'instance.changed',
  'instance.disappeared',
  'cluster.status',
  'alert.updated',
  'reload',
];

class LiveEvents {
  connected = $state(false);
  private source: EventSource | null = null;
  private handlers = new Set<EventHandler>();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retryDelay = 1000;

  subscribe(handler: EventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  start(): void {
    if (this.source) return;
    const source = new EventSource('/api/v1/events');
    this.source = source;
    source.onopen = () => {
      this.connected = true;
      this.retryDelay = 1000;
    };
    source.onerror = () => {
      this.connected = false;
      if (source.readyState === EventSource.CLOSED) this.reconnectLater();
    };
    for (const kind of KINDS) {
      source.addEventListener(kind, (event) => this.dispatch(kind, (event as MessageEvent<string>).data));
    }
  }

  stop(): void {
    clearTimeout(this.retryTimer);
    this.source?.close();
    this.source = null;
    this.connected = false;
  }

  private reconnectLater(): void {
    this.stop();
    this.retryTimer = setTimeout(async () => {
      await refreshSession();
      this.start();
    }, this.retryDelay);
    this.retryDelay = Math.min(this.retryDelay * 2, 30_000);
  }

  private dispatch(kind: string, raw: string): void {
    let data: unknown;
    try {
      data = JSON.parse(raw);
    } catch {
      return;
    }
    this.handlers.forEach((handler) => handler(kind, data));
  }
}

export const liveEvents = new LiveEvents();
