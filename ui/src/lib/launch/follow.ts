// Follows one job: its `job.updated` events, and a slow poll in case the event
// stream is reconnecting. Returns the function that stops following.
import type { Job } from '../api/types';
import { liveEvents } from '../events.svelte';
import { getJob } from './api';

const POLL_MS = 2000;

export function followJob(id: string, onupdate: (job: Job) => void): () => void {
  let stopped = false;
  const unsubscribe = liveEvents.subscribe((kind, data) => {
    if (kind === 'job.updated' && (data as Job).id === id) onupdate(data as Job);
  });
  const poll = setInterval(() => {
    getJob(id).then(
      (job) => {
        if (!stopped) onupdate(job);
      },
      () => undefined,
    );
  }, POLL_MS);
  return () => {
    stopped = true;
    unsubscribe();
    clearInterval(poll);
  };
}

/** The job's current step as words: "reserve: instance 0195…: vmid 104 on node pve2". */
export function stepText(job: Job): string {
  const step = job.steps[job.current_step];
  if (!step) return '';
  return step.detail ? `${step.name}: ${step.detail}` : step.name;
}
