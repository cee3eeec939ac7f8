// What the user has chosen so far, the request it makes, and its live validation
// against `POST /api/v1/instances/validate` (debounced; a newer check supersedes an
// older one, so errors never flash back from a stale answer).
import { ApiError } from '../api/client';
import { errorMessage } from '../format';
import { validateLaunch, type CreateInstanceRequest, type LaunchOptions } from './api';
import { AUTO, presetOf, type Kind, type VmSource } from './steps';

const DEBOUNCE_MS = 350;

/** One volume of the launch as the wizard edits it (`name` and size shown for existing ones too). */
export interface DraftVolume {
  volume_id?: string;
  name: string;
  size_gib: number;
  class?: string;
  mount_path: string;
}

export class LaunchDraft {
  /** The cluster the options describe; sent, so the server checks against the same one. */
  readonly cluster: string;
  kind = $state<Kind>('lxc');
  vmSource = $state<VmSource>('iso');
  template = $state(AUTO);
  iso = $state(AUTO);
  cloneFrom = $state<number | null>(null);
  cores = $state(1);
  memoryMib = $state(1024);
  diskGib = $state(8);
  /** A preset name, or null for custom values. */
  preset = $state<string | null>(null);
  node = $state(AUTO);
  storage = $state(AUTO);
  bridge = $state(AUTO);
  vlan = $state<number | null>(null);
  sshKeys = $state('');
  /** Ids of the caller's key pairs to install too. */
  keyPairIds = $state<string[]>([]);
  /** Containers: have the server generate a root password, shown once after Launch. */
  generateRootPassword = $state(false);
  name = $state('');
  start = $state(true);
  /** Volumes to make (no `volume_id`) or attach (`volume_id`) before the first start. */
  volumes = $state<DraftVolume[]>([]);
  /** Containers: ids of secrets set as environment variables before the first start. */
  secrets = $state<string[]>([]);

  /** The server's problems with the current request, by field. */
  fields = $state<Record<string, string>>({});
  /** A failure that is not about a field (cluster unreachable, network). */
  problem = $state<string | null>(null);
  checking = $state(false);
  /** True once the server has accepted the request as it is now. */
  valid = $state(false);

  /** One key per launch attempt: a double-clicked Launch returns the first job, never a second instance. */
  idempotencyKey = crypto.randomUUID();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private generation = 0;

  /** Starts from the settings' defaults (and the preset they match). */
  constructor(options: LaunchOptions) {
    this.cluster = options.cluster_id;
    this.cores = options.defaults.cores;
    this.memoryMib = options.defaults.memory_mib;
    this.diskGib = options.defaults.disk_gib;
    this.preset = presetOf(options.presets, this.cores, this.memoryMib, this.diskGib);
    this.bridge = options.defaults.bridge;
  }

  /** The keys pasted, one per non-empty line. */
  get keys(): string[] {
    return this.sshKeys
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
  }

  /**
   * A container nobody could log in to: no key pair, no pasted key, no generated
   * password (the server refuses it on `ssh_public_keys`).
   */
  get lacksWayIn(): boolean {
    return this.kind === 'lxc' && !this.keys.length && !this.keyPairIds.length && !this.generateRootPassword;
  }

  /** Keys cannot go into a VM booting an installer ISO (no cloud-init there). */
  get takesKeys(): boolean {
    return this.kind === 'lxc' || this.vmSource === 'clone';
  }

  request(): CreateInstanceRequest {
    const body: CreateInstanceRequest = {
      type: this.kind,
      cluster: this.cluster,
      cores: this.cores,
      memory: this.memoryMib,
      disk: this.diskGib,
      start: this.start,
      network: { bridge: this.bridge || undefined, vlan: this.vlan ?? undefined },
    };
    if (this.kind === 'lxc') body.template = this.template || undefined;
    else if (this.vmSource === 'iso') body.iso = this.iso || undefined;
    else body.clone_from = this.cloneFrom ?? undefined;
    if (this.node) body.node = this.node;
    if (this.storage) body.storage = this.storage;
    if (this.name.trim()) body.name = this.name.trim();
    if (this.takesKeys && this.keys.length) body.ssh_public_keys = this.keys;
    if (this.takesKeys && this.keyPairIds.length) body.key_pair_ids = this.keyPairIds;
    if (this.kind === 'lxc' && this.generateRootPassword) body.generate_root_password = true;
    if (this.kind === 'lxc' && this.secrets.length) body.secrets = this.secrets;
    if (this.volumes.length) {
      body.volumes = this.volumes.map((v) => {
        const path = this.kind === 'lxc' ? v.mount_path : undefined;
        return v.volume_id
          ? { volume_id: v.volume_id, mount_path: path }
          : { name: v.name.trim(), size_gib: v.size_gib, class: v.class || undefined, mount_path: path };
      });
    }
    return body;
  }

  /** Asks the server about the request as it is now, after a pause in typing. */
  scheduleCheck(): void {
    clearTimeout(this.timer);
    this.valid = false;
    this.timer = setTimeout(() => void this.check(), DEBOUNCE_MS);
  }

  /** Asks at once; true when the server accepts the request. */
  async check(): Promise<boolean> {
    clearTimeout(this.timer);
    const generation = ++this.generation;
    this.checking = true;
    try {
      await validateLaunch(this.request());
      if (generation !== this.generation) return false;
      this.fields = {};
      this.problem = null;
      this.valid = true;
    } catch (cause) {
      if (generation !== this.generation) return false;
      this.valid = false;
      this.fields = cause instanceof ApiError ? cause.fields : {};
      this.problem = cause instanceof ApiError && Object.keys(cause.fields).length ? null : errorMessage(cause);
    } finally {
      if (generation === this.generation) this.checking = false;
    }
    return this.valid;
  }

  /** After a failed job: the next Launch is a new attempt, not a replay of the failed one. */
  renewKey(): void {
    this.idempotencyKey = crypto.randomUUID();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.generation += 1;
  }
}
