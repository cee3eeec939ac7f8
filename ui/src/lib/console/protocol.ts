// The browser's side of `GET /api/v1/instances/{id}/console` (see the API route's
// header): the socket's URL, termproxy's client frames for containers, keysyms for
// typing text into a VM's screen, and why a console could not be opened.
import { ApiError, get } from '../api/client';

/** What a console's toolbar shows: connecting, connected, or closed and why. */
export type ConsoleState = { phase: 'connecting' } | { phase: 'connected' } | { phase: 'closed'; reason: string };

/** How often an idle terminal pings (keeps proxies in between from timing out; not user activity). */
export const PING_INTERVAL_MS = 30_000;

/** The console's websocket URL on this server (cookies and Origin make it ours). */
export function consoleUrl(instanceId: string, location: Location = window.location): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api/v1/instances/${encodeURIComponent(instanceId)}/console`;
}

const encoder = new TextEncoder();

/** termproxy input: `0:LEN:DATA`, LEN counting UTF-8 bytes. */
export function termproxyInput(data: string): Uint8Array {
  const bytes = encoder.encode(data);
  const head = encoder.encode(`0:${bytes.length}:`);
  const frame = new Uint8Array(head.length + bytes.length);
  frame.set(head);
  frame.set(bytes, head.length);
  return frame;
}

/** termproxy resize: `1:COLS:ROWS:`. */
export function termproxyResize(cols: number, rows: number): string {
  return `1:${cols}:${rows}:`;
}

/** termproxy ping. */
export const TERMPROXY_PING = '2';

/** The first message of a VM's console: the VNC password for this one session. */
export function vncPassword(message: unknown): string | null {
  if (typeof message !== 'string') return null;
  try {
    const parsed = JSON.parse(message) as { vnc_password?: unknown };
    return typeof parsed.vnc_password === 'string' ? parsed.vnc_password : null;
  } catch {
    return null;
  }
}

const XK_TAB = 0xff09;
const XK_RETURN = 0xff0d;

/**
 * The X11 keysyms that type `text` (RFC 6143 §7.5.4): Latin-1 characters are their
 * own keysym, other characters `0x01000000 + code point`; newlines press Return.
 */
export function keysymsOf(text: string): number[] {
  const keysyms: number[] = [];
  for (const char of text.replace(/\r\n?/g, '\n')) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\n') keysyms.push(XK_RETURN);
    else if (char === '\t') keysyms.push(XK_TAB);
    else if (code < 0x20 || code === 0x7f) continue;
    else if (code <= 0xff) keysyms.push(code);
    else keysyms.push(0x01000000 + code);
  }
  return keysyms;
}

/**
 * Why the console's websocket did not open: browsers hide the HTTP answer to a refused
 * upgrade, so the same URL is asked again as a plain GET, which carries the JSON error
 * (403, 409 such as `console_needs_password`, 503). `null`: the checks pass now (a
 * session that had to be refreshed, or a passing network error): worth one retry.
 */
export async function whyRefused(instanceId: string): Promise<string | null> {
  try {
    await get(`/instances/${encodeURIComponent(instanceId)}/console`);
    return null;
  } catch (cause) {
    if (cause instanceof ApiError) return cause.code === 'websocket_required' ? null : cause.message;
    return 'the server cannot be reached';
  }
}

/** The reason a closed websocket gives, as a sentence for the toolbar. */
export function closeReason(event: CloseEvent): string {
  if (event.reason) return event.reason;
  return event.wasClean ? 'the console closed' : 'the connection was lost';
}
