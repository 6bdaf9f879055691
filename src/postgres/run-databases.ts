/**
 * Databases a run creates on a server are named after the run:
 * `sp_<host><boot>_<pid>_<start>_<n>_<purpose>` (host and boot are short
 * hashes of the hostname and the kernel's boot id; pid and start time in
 * base 36). The name alone lets a later run on the same host prove that the
 * run which created a database is dead (another boot, no such process, or a
 * reused pid with another start time) and drop what it left behind; a
 * database of a live run, or of another host, is never touched.
 */
import { sql, type Queryable } from '@databases/pg';
import { hostname } from 'node:os';
import { dropEndingSessions } from './databases.ts';
import { bootId, currentProcess, isDeadProcess, shortHash } from './processes.ts';

const hostHashLength = 6;
const bootHashLength = 4;
const tagPattern = /^sp_([0-9a-f]{6})([0-9a-f]{4})_([0-9a-z]+)_([0-9a-z]+)_\d+_/;

function hostHash(host: string): string {
  return shortHash(`host:${host}`, hostHashLength);
}

function bootHash(boot: string): string {
  return shortHash(`boot:${boot}`, bootHashLength);
}

/** This process's tag: `<host><boot>_<pid>_<start>` (start 0 where unknown). */
export function currentRunTag(): string {
  const self = currentProcess();
  return `${hostHash(self.host)}${bootHash(self.boot)}_${self.pid.toString(36)}_${(self.startTicks ?? 0).toString(36)}`;
}

/** The run a database name belongs to, or null when it is not one of ours. */
export function parseRunDatabaseName(name: string): { readonly hostHash: string; readonly bootHash: string; readonly pid: number; readonly startTicks: number | null } | null {
  const match = tagPattern.exec(name);
  if (!match) return null;
  const pid = parseInt(match[3] ?? '', 36);
  const start = parseInt(match[4] ?? '', 36);
  if (!Number.isSafeInteger(pid) || pid <= 0 || !Number.isSafeInteger(start)) return null;
  return { hostHash: match[1] ?? '', bootHash: match[2] ?? '', pid, startTicks: start === 0 ? null : start };
}

/** Whether `name` was made by a run of this host that is certainly gone. */
export function isDeadRunDatabase(name: string): boolean {
  const run = parseRunDatabaseName(name);
  if (run === null || run.hostHash !== hostHash(hostname())) return false;
  const boot = bootId();
  // Another boot: its processes are all gone, whatever their pids.
  if (boot !== '' && run.bootHash !== bootHash(boot)) return true;
  return isDeadProcess({ host: hostname(), boot: '', pid: run.pid, startTicks: run.startTicks });
}

/** Drop databases by name, templates unmarked first; connected sessions are ended. */
export async function dropDatabases(admin: Queryable, names: readonly string[]): Promise<void> {
  for (const name of names) {
    await admin.query(sql`alter database ${sql.ident(name)} with is_template false`);
    await dropEndingSessions(admin, name);
  }
}

/**
 * Drop what dead runs of this host left on the server: databases named by a
 * run that is gone, owned by the role we connect as. Returns their names.
 */
export async function dropDeadRunDatabases(admin: Queryable): Promise<string[]> {
  const rows = await admin.query(sql`
    select datname from pg_database
    where starts_with(datname, 'sp_') and datdba = (select oid from pg_roles where rolname = current_user)
    order by datname`);
  const dead = rows.map((row) => String(row.datname)).filter(isDeadRunDatabase);
  const dropped: string[] = [];
  for (const name of dead) {
    try {
      await dropDatabases(admin, [name]);
      dropped.push(name);
    } catch {
      // another run is dropping it at the same time, or it is in use: next time
    }
  }
  return dropped;
}
