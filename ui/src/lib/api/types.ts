// Short names for the generated API types (src/lib/api/schema.d.ts).
import type { components, paths } from './schema';

type Schemas = components['schemas'];

export type { paths };
export type User = Schemas['UserDto'];
export type Role = Schemas['RoleDto'];
export type SessionResponse = Schemas['SessionResponse'];
export type CurrentUser = Schemas['CurrentUserResponse'];
export type ErrorBody = Schemas['ErrorBody'];
export type Instance = Schemas['InstanceDto'];
export type InstanceList = Schemas['InstanceListDto'];
export type InstanceSummary = Schemas['InstanceSummaryDto'];
export type InstanceType = Schemas['InstanceType'];
export type Job = Schemas['JobDto'];
export type JobPage = Schemas['Paginated_JobDto'];
export type Cluster = Schemas['ClusterDto'];
export type ClusterPage = Schemas['Paginated_ClusterDto'];
export type UserPage = Schemas['Paginated_UserDto'];
export type ApiToken = Schemas['ApiTokenDto'];
export type ApiTokenPage = Schemas['Paginated_ApiTokenDto'];
export type CreatedApiToken = Schemas['CreatedApiTokenDto'];
export type UserWithPassword = Schemas['UserWithPasswordDto'];
export type AuditEntry = Schemas['AuditEntryDto'];
export type AuditPage = Schemas['Paginated_AuditEntryDto'];
export type Outcome = Schemas['OutcomeDto'];
export type ClusterRequest = Schemas['ClusterRequest'];
export type ConnectionTest = Schemas['ConnectionTestDto'];
export type Settings = Schemas['SettingsDto'];
