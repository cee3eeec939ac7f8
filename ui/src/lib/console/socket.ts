// Opening a console's websocket, shared by the terminal and the screen: the `binary`
// subprotocol, array buffers, and — when it does not open — the server's reason
// (`whyRefused`), retried once when the checks pass on a second look (a session
// refreshed meanwhile).
import { closeReason, consoleUrl, whyRefused } from './protocol';

export interface ConsoleHandlers {
  /** The socket is open; input may be sent. */
  opened(socket: WebSocket): void;
  /** Every message from the server, in order. */
  message(event: MessageEvent, socket: WebSocket): void;
  /** The session ended (or never started), with a sentence saying why. */
  closed(reason: string): void;
}

/** Connects; the returned function closes the session (and reports nothing more). */
export function openConsole(instanceId: string, handlers: ConsoleHandlers): () => void {
  let stopped = false;
  let socket: WebSocket | null = null;
  let retried = false;

  function attempt(): void {
    const current = new WebSocket(consoleUrl(instanceId), ['binary']);
    socket = current;
    current.binaryType = 'arraybuffer';
    let opened = false;
    current.addEventListener('open', () => {
      opened = true;
      if (!stopped) handlers.opened(current);
    });
    current.addEventListener('message', (event) => {
      if (!stopped) handlers.message(event, current);
    });
    current.addEventListener('close', (event) => {
      if (stopped) return;
      if (opened) {
        handlers.closed(closeReason(event));
        return;
      }
      void whyRefused(instanceId).then((why) => {
        if (stopped) return;
        if (why === null && !retried) {
          retried = true;
          attempt();
        } else {
          handlers.closed(why ?? 'the console could not be opened');
        }
      });
    });
  }

  attempt();
  return () => {
    stopped = true;
    socket?.close();
  };
}
