// Words for a job: what it does to which instance, and where to look at it.
import type { Job } from '../api/types';

// A job kind the server adds reads as "Working on web-1" until it gets its words here.
const VERBS: Record<string, [doing: string, done: string, failed: string]> = {
  'instance.create': ['Creating', 'Created', 'create'],
  'instance.start': ['Starting', 'Started', 'start'],
  'instance.stop': ['Stopping', 'Stopped', 'stop'],
  'instance.shutdown': ['Shutting down', 'Shut down', 'shut down'],
  'instance.reboot': ['Rebooting', 'Rebooted', 'reboot'],
  'instance.terminate': ['Terminating', 'Terminated', 'terminate'],
  'instance.snapshot.create': ['Taking a snapshot of', 'Took a snapshot of', 'take a snapshot of'],
  'instance.snapshot.rollback': ['Rolling back', 'Rolled back', 'roll back'],
  'instance.snapshot.delete': ['Deleting a snapshot of', 'Deleted a snapshot of', 'delete a snapshot of'],
  'volume.create': ['Creating', 'Created', 'create'],
  'volume.delete': ['Deleting', 'Deleted', 'delete'],
  'volume.attach': ['Attaching', 'Attached', 'attach'],
  'volume.detach': ['Detaching', 'Detached', 'detach'],
  'volume.grow': ['Growing', 'Grew', 'grow'],
  'volume.snapshot': ['Taking a snapshot of', 'Took a snapshot of', 'take a snapshot of'],
  'volume.snapshot_delete': ['Deleting a snapshot of', 'Deleted a snapshot of', 'delete a snapshot of'],
  'volume.restore': ['Restoring', 'Restored', 'restore'],
  'volume.clone': ['Cloning', 'Cloned', 'clone'],
  'image.download': ['Downloading', 'Downloaded', 'download'],
};

/** What a job of another resource kind than an instance is about, before its name is known. */
export const RESOURCE_NOUNS: Record<string, string> = { volume: 'a volume', image: 'an image' };

function verbs(job: Job): [string, string, string] {
  return VERBS[job.kind] ?? ['Working on', 'Finished with', 'finish with'];
}

// What each step does, in words; the step's own name and Proxmox's task id stay in
// the job's details for those who want them.
const STEPS: Record<string, string> = {
  reserve: 'Reserving a VMID and the name',
  create: 'Asking Proxmox to create it',
  create_lxc: 'Asking Proxmox to create the container',
  await_create: 'Proxmox is building it',
  configure: 'Configuring it',
  config: 'Reading its configuration',
  start: 'Starting it',
  stop: 'Stopping it',
  resize: 'Resizing the disk',
  snapshot: 'Taking the snapshot',
  rollback: 'Rolling back',
  destroy: 'Deleting it on Proxmox',
  forget: 'Removing it from the list',
  holder: 'Preparing the volume',
  clone: 'Copying the data',
  fan_out: 'Working on each item',
  volumes: 'Making and attaching its volumes',
  ready: 'Waiting until it is ready',
  reload: 'Reloading',
  finalize: 'Finishing',
};

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

/** The step being run, in words: "Proxmox is building it" (empty when none is). */
export function currentStep(job: Job): string {
  const step = job.steps[job.current_step];
  if (!step) return '';
  return STEPS[step.name] ?? (step.name.startsWith('await_') ? 'Waiting for Proxmox' : 'Working');
}

/** The technical record, for the details disclosure: each step with its progress text, and the Proxmox task. */
export function jobDetails(job: Job): string[] {
  const lines = job.steps.map((step) => `${step.name} (${step.status})${step.detail ? `: ${step.detail}` : ''}`);
  if (job.pve_upid) lines.push(`Proxmox task: ${job.pve_upid}`);
  if (job.error) lines.push(`Error: ${job.error}`);
  return lines;
}

/**
 * Why the job failed, in one sentence: the first line (a failed Proxmox task's exit
 * status; the server words an outage itself and keeps its internals in the log); the
 * full text is in `jobDetails`.
 */
export function failureSummary(error: string): string {
  const first = error.split('\n')[0] ?? error;
  return first.length > 200 ? `${first.slice(0, 200)}…` : first;
}

export const isActive = (job: Job) => job.status === 'queued' || job.status === 'running' || job.status === 'waiting';
