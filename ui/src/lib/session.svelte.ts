// Who is signed in. `null` user: show the login page.
import { onSessionLost } from './api/client';
import * as api from './api/endpoints';
import type { User } from './api/types';
import { mayWrite } from './users';

class Session {
  user = $state<User | null>(null);
  /** False until the first `/auth/me` answered (avoids flashing the login page). */
  ready = $state(false);

  get isAdmin(): boolean {
    return this.user?.role === 'admin';
  }

  /** May act (launch, power, terminate): see `mayWrite`. */
  get canWrite(): boolean {
    return mayWrite(this.user?.role);
  }

  async restore(): Promise<void> {
    const me = await api.currentUser();
    this.user = me?.user ?? null;
    this.ready = true;
  }

  async login(username: string, password: string): Promise<void> {
    const session = await api.login(username, password);
    this.user = session.user;
  }

  async logout(): Promise<void> {
    try {
      await api.logout();
    } finally {
      this.user = null;
    }
  }
}

export const session = new Session();

onSessionLost(() => {
  session.user = null;
});
