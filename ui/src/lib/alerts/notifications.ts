// Notification channels and subscriptions (`/api/v1/alerts/channels`,
// `/api/v1/alerts/subscriptions`), typed with the generated schema. Channel secrets
// are write-only: the server only says which are set (`secrets_set`).
import { del, get, post, request } from '../api/client';
import type { components } from '../api/schema';

type Schemas = components['schemas'];

export type Channel = Schemas['NotificationChannelDto'];
export type ChannelKind = Schemas['ChannelKindDto'];
export type NewChannel = Schemas['CreateNotificationChannelRequest'];
export type ChannelChange = Schemas['UpdateNotificationChannelRequest'];
export type Subscription = Schemas['SubscriptionDto'];
export type NewSubscription = Schemas['CreateSubscriptionRequest'];

/** The settings (shown) and secrets (write-only) each kind takes: [name, label, required]. */
export const KINDS: Record<ChannelKind, { settings: [string, string, boolean][]; secrets: [string, string, boolean][] }> = {
  webhook: { settings: [], secrets: [['url', 'URL', true]] },
  ntfy: {
    settings: [
      ['server', 'Server', true],
      ['topic', 'Topic', true],
    ],
    secrets: [['token', 'Access token (optional)', false]],
  },
  gotify: { settings: [['server', 'Server', true]], secrets: [['token', 'Application token', true]] },
  discord: { settings: [], secrets: [['webhook_url', 'Webhook URL', true]] },
  slack: { settings: [], secrets: [['webhook_url', 'Webhook URL', true]] },
  email: {
    settings: [
      ['host', 'SMTP server', true],
      ['port', 'Port (default 587, or 465 with TLS)', false],
      ['security', 'Security: starttls (default), tls or none', false],
      ['from', 'From', true],
      ['to', 'To (comma-separated)', true],
      ['username', 'Username (optional)', false],
      ['ca_certificate', 'Trusted CA certificate, PEM (optional, for a server with its own certificate)', false],
    ],
    secrets: [['password', 'Password (optional)', false]],
  },
};

/** Settings too long for the channel table (a PEM certificate) are only named there. */
export const LONG_SETTINGS = new Set(['ca_certificate']);

const channelPath = (id: string) => `/api/v1/alerts/channels/${encodeURIComponent(id)}`;

export const listChannels = () => get<Schemas['Paginated_NotificationChannelDto']>('/api/v1/alerts/channels');
export const createChannel = (channel: NewChannel) => post<Channel>('/api/v1/alerts/channels', channel);
export const updateChannel = (id: string, change: ChannelChange) =>
  request<Channel>(channelPath(id), { method: 'PATCH', body: change }).then((r) => r.data);
export const deleteChannel = (id: string) => del<void>(channelPath(id));
export const testChannel = (id: string) => post<Channel>(`${channelPath(id)}/test`);

export const listSubscriptions = () => get<Schemas['Paginated_SubscriptionDto']>('/api/v1/alerts/subscriptions');
export const createSubscription = (subscription: NewSubscription) =>
  post<Subscription>('/api/v1/alerts/subscriptions', subscription);
export const deleteSubscription = (id: string) => del<void>(`/api/v1/alerts/subscriptions/${encodeURIComponent(id)}`);
