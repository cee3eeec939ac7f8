// Words for a job: what it does to which instance, and where to look at it.
import type { Job } from '../api/types';

const VERBS: Record<string, [doing: string, done: string, failed: string]> = {
  'instance.create': ['Creating', 'Created', 'create'],
  'instance.start': ['Starting', 'Started', 'start'],
  'instance.stop': ['Stopping', 'Stopped', 'stop'],
  'instance.shutdown': ['Shutting down', 'Shut down', 'shut down'],
  'instance.reboot': ['Rebooting', 'Rebooted', 'reboot'],
  'instance.terminate': ['Terminating', 'Terminated', 'terminate'],
};

function verbs(job: Job): [string, string, string] {
  return VERBS[job.kind] ?? [job.kind, `${job.kind} done`, job.kind];
}

/** "Stopping web-1", "Created web-1", "Could not start web-1". */
export function jobTitle(job: Job, target: string): string {
  const [doing, done, failed] = verbs(job);
  if (job.status === 'succeeded') return `${done} ${target}`;
  if (job.status === 'failed' || job.status === 'cancelled') return `Could not ${failed} ${target}`;
  return `${doing} ${target}`;
}

/** The instance page of the job's instance, once known (a create job learns it when it reserves one). */
export function jobInstanceHref(job: Job): string | null {
  if (job.resource_kind !== 'instance' || !job.resource_id) return null;
  return `/instances/${encodeURIComponent(job.resource_id)}`;
}

/** The step being run, with its progress text: "await_create: waiting for Proxmox task …". */
export function currentStep(job: Job): string {
  const step = job.steps[job.current_step];
  if (!step) return '';
  return step.detail ? `${step.name}: ${step.detail}` : step.name;
}

export const isActive = (job: Job) => job.status === 'queued' || job.status === 'running' || job.status === 'waiting';
