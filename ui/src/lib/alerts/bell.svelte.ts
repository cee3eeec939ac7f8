// The header bell: how many alerts fire now and are not silenced, read once at
// sign-in and again on every `alert.updated` event of the live feed.
import { liveEvents } from '../events.svelte';
import { listAlerts } from './api';

class FiringAlerts {
  count = $state(0);
  private unsubscribe: (() => void) | null = null;

  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = liveEvents.subscribe((kind) => {
      if (kind === 'alert.updated') void this.load();
    });
    void this.load();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.count = 0;
  }

  load = async (): Promise<void> => {
    try {
      const firing = await listAlerts('firing', 500);
      this.count = firing.items.filter((alert) => !alert.silenced).length;
    } catch {
      // The bell keeps its last count; the Alerts page reports errors.
    }
  };
}

export const firingAlerts = new FiringAlerts();
