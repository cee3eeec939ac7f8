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

const ENDED = new Set(['succeeded', 'failed', 'cancelled']);

/** Succeeded, failed or cancelled: nothing more will happen to it. */
export const jobEnded = (job: Job): boolean => ENDED.has(job.status);

/** Follows the job until it ends, then stops by itself and calls `onend`. Returns the
 *  function that stops following earlier (a dialog closed meanwhile). */
export function followToEnd(id: string, onupdate: (job: Job) => void, onend: (job: Job) => void): () => void {
  let stop: (() => void) | null = null;
  let ended = false;
  stop = followJob(id, (job) => {
    if (ended) return;
    onupdate(job);
    if (jobEnded(job)) {
      ended = true;
      stop?.();
      onend(job);
    }
  });
  return () => stop?.();
}

/** Resolves with the job once it has ended (succeeded, failed or cancelled). */
export function untilJobEnds(id: string): Promise<Job> {
  return new Promise((resolve) => {
    const stop = followToEnd(id, () => undefined, resolve);
    // It may have ended before the subscription: ask once now rather than at the first poll.
    getJob(id).then(
      (job) => {
        if (jobEnded(job)) {
          stop();
          resolve(job);
        }
      },
      () => undefined,
    );
  });
}

/** The job's current step as words: "reserve: instance 0195…: vmid 104 on node pve2". */
export function stepText(job: Job): string {
  const step = job.steps[job.current_step];
  if (!step) return '';
  return step.detail ? `${step.name}: ${step.detail}` : step.name;
}
