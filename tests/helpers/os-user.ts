/**
 * A throwaway unprivileged OS user for the security tests: they play the
 * other user on a shared machine. Created only when the tests run as root
 * (removed in `remove()`); otherwise `reason` says why the tests cannot run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export interface ThrowawayUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  /** Run a shell script as this user; throws on a non-zero exit. */
  sh(script: string): string;
  remove(): void;
}

export const cannotCreateUser: string | null =
  typeof process.getuid !== 'function' || process.getuid() !== 0
    ? 'these tests play another local user and need root to create one (useradd); run them as root'
    : spawnSync('useradd', ['--help'], { stdio: 'ignore' }).status !== 0
      ? 'useradd is not available to create a throwaway user'
      : null;

export function createThrowawayUser(): ThrowawayUser {
  const name = `sp-probe-${randomBytes(3).toString('hex')}`;
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', '--user-group', name]);
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  return {
    name,
    uid,
    gid,
    sh(script) {
      const result = spawnSync('/bin/sh', ['-c', script], { uid, gid, encoding: 'utf8', cwd: '/' });
      if (result.status !== 0) throw new Error(`as ${name}: ${script}\n${result.stderr}`);
      return result.stdout;
    },
    remove() {
      spawnSync('userdel', [name], { stdio: 'ignore' });
    },
  };
}

/** A shared, sticky, world-writable directory like /tmp, private to one test. */
export function sharedTempDir(prefix: string): string {
  const dir = mkdtempSync(join('/tmp', prefix));
  chmodSync(dir, 0o1777);
  return dir;
}
