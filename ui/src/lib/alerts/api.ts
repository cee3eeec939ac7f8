// Alert API calls (`/api/v1/alerts`), typed with the generated schema.
import { del, get, post, request } from '../api/client';
import type { components } from '../api/schema';

type Schemas = components['schemas'];

export type Alert = Schemas['AlertDto'];
export type AlertRule = Schemas['AlertRuleDto'];
export type Silence = Schemas['SilenceDto'];
export type NewRule = Schemas['CreateAlertRuleRequest'];
export type RuleChange = Schemas['UpdateAlertRuleRequest'];
export type AlertState = Schemas['AlertStateDto'];

const rulePath = (id: string) => `/api/v1/alerts/rules/${encodeURIComponent(id)}`;

/** Newest first; pass a page's `next_cursor` as `cursor` for the next one. */
export const listAlerts = (state?: AlertState, limit = 100, cursor?: string) =>
  get<Schemas['Paginated_AlertDto']>('/api/v1/alerts', { state, limit, cursor });

export const listRules = () => get<Schemas['Paginated_AlertRuleDto']>('/api/v1/alerts/rules');
export const createRule = (rule: NewRule) => post<AlertRule>('/api/v1/alerts/rules', rule);
export const updateRule = (id: string, change: RuleChange) =>
  request<AlertRule>(rulePath(id), { method: 'PATCH', body: change }).then((r) => r.data);
export const deleteRule = (id: string) => del<void>(rulePath(id));

export const listSilences = () => get<Schemas['Paginated_SilenceDto']>('/api/v1/alerts/silences');
export const createSilence = (silence: Schemas['CreateSilenceRequest']) =>
  post<Silence>('/api/v1/alerts/silences', silence);
export const deleteSilence = (id: string) => del<void>(`/api/v1/alerts/silences/${encodeURIComponent(id)}`);

/** Silences one alert (its rule and resource) for `hours` from now. */
export const silenceAlert = (alert: Alert, hours: number) =>
  createSilence({
    rule_id: alert.rule_id ?? undefined,
    resource: alert.resource,
    ends_at: new Date(Date.now() + hours * 3_600_000).toISOString(),
    comment: `silenced from the console: ${alert.rule_name} on ${alert.resource_name}`,
  });
