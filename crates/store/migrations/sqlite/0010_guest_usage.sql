-- Live usage of a guest beyond what 0001 kept: Proxmox's CPU share and its I/O counters
-- (bytes since the guest started), and the rates the inventory sync derives from two
-- consecutive samples (bytes per second; NULL when there is no earlier sample, or a
-- counter went down because the guest restarted).
ALTER TABLE guests ADD COLUMN cpu REAL NOT NULL DEFAULT 0;
ALTER TABLE guests ADD COLUMN netin INTEGER NOT NULL DEFAULT 0;
ALTER TABLE guests ADD COLUMN netout INTEGER NOT NULL DEFAULT 0;
ALTER TABLE guests ADD COLUMN diskread INTEGER NOT NULL DEFAULT 0;
ALTER TABLE guests ADD COLUMN diskwrite INTEGER NOT NULL DEFAULT 0;
ALTER TABLE guests ADD COLUMN netin_rate REAL;
ALTER TABLE guests ADD COLUMN netout_rate REAL;
ALTER TABLE guests ADD COLUMN diskread_rate REAL;
ALTER TABLE guests ADD COLUMN diskwrite_rate REAL;
