// Short notices in a corner of the screen: a job finished or failed, a bulk action
// went wrong. Successes fade on their own; failures stay until dismissed, so
// Proxmox's error text can be read in full.
export type ToastTone = 'success' | 'error' | 'info';

export interface Toast {
  id: number;
  tone: ToastTone;
  title: string;
  /** Shown verbatim (e.g. Proxmox's task error). */
  detail?: string;
  /** An in-app link, e.g. the job's instance. */
  href?: string;
  linkText?: string;
}

const SUCCESS_MS = 6_000;

class Toasts {
  items = $state<Toast[]>([]);
  private nextId = 1;

  push(toast: Omit<Toast, 'id'>): number {
    const id = this.nextId++;
    this.items = [...this.items, { ...toast, id }].slice(-6);
    if (toast.tone !== 'error') setTimeout(() => this.dismiss(id), SUCCESS_MS);
    return id;
  }

  dismiss(id: number): void {
    this.items = this.items.filter((toast) => toast.id !== id);
  }
}

export const toasts = new Toasts();
