/**
 * The stale-run reaper runs as whoever starts schemaproof (often root) over
 * shared directories: it must touch only run dirs it can prove are its own
 * and signal only a postmaster of that data dir. Another local user plays
 * the attacker here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { reapStaleClusters, runDirPrefix } from '../../src/postgres/index.ts';
import { bootId, processStartTicks } from '../../src/postgres/processes.ts';
import { cannotCreateUser, createThrowawayUser, sharedTempDir, type ThrowawayUser } from '../helpers/os-user.ts';

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** A pid that no process has any more. */
async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid ?? 999_999;
}

if (cannotCreateUser) console.warn(`reaper tests skipped: ${cannotCreateUser}`);

describe.skipIf(cannotCreateUser !== null)('stale-run reaper on a shared machine', () => {
  let other: ThrowawayUser;
  let base: string;
  let victim: ChildProcess;

  beforeAll(() => {
    other = createThrowawayUser();
    base = sharedTempDir('sp-reaper-');
    // A process of ours the attacker would like us to kill.
    victim = spawn('sleep', ['600'], { stdio: 'ignore' });
  });

  afterAll(() => {
    victim.kill('SIGKILL');
    rmSync(base, { recursive: true, force: true });
    other.remove();
  });

  it("does not signal a pid named in another user's planted run dir, nor touch the dir", async () => {
    const dir = join(base, `${runDirPrefix}planted`);
    const dead = await deadPid();
    other.sh(
      `mkdir -m 700 ${dir} && mkdir -m 700 ${dir}/data && printf '%s\\n%s\\n' ${victim.pid} ${dir}/data > ${dir}/data/postmaster.pid && printf '{"pid":${dead},"host":"${hostname()}","boot":"${bootId()}","serverUid":0,"startTicks":1}' > ${dir}/schemaproof-owner.json && chmod 600 ${dir}/schemaproof-owner.json`,
    );
    const removed = reapStaleClusters(base);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(alive(victim)).toBe(true);
    expect(removed).not.toContain(dir);
    expect(existsSync(join(dir, 'data', 'postmaster.pid'))).toBe(true);
  });

  it('removes its own stale run dir without signalling a pid that is not that dir’s postmaster', async () => {
    const dir = mkdtempSync(join(base, runDirPrefix));
    mkdirSync(join(dir, 'data'), { mode: 0o700 });
    const dead = await deadPid();
    writeFileSync(join(dir, 'schemaproof-owner.json'), JSON.stringify({ pid: dead, host: hostname(), boot: bootId(), startTicks: 1, serverUid: 0, startedAt: '' }), { mode: 0o600 });
    writeFileSync(join(dir, 'data', 'postmaster.pid'), `${victim.pid}\n${join(dir, 'data')}\n`);
    const removed = reapStaleClusters(base);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(alive(victim)).toBe(true);
    expect(removed).toContain(dir);
    expect(existsSync(dir)).toBe(false);
  });

  it('leaves a run dir whose marker the other user owns (a forged marker), even in a dir it may own', async () => {
    const dir = mkdtempSync(join(base, runDirPrefix));
    const dead = await deadPid();
    writeFileSync(join(dir, 'schemaproof-owner.json'), JSON.stringify({ pid: dead, host: hostname(), boot: bootId(), startTicks: 1, serverUid: other.uid, startedAt: '' }), { mode: 0o600 });
    chownSync(join(dir, 'schemaproof-owner.json'), other.uid, other.gid);
    chownSync(dir, other.uid, other.gid);
    expect(reapStaleClusters(base)).not.toContain(dir);
    expect(existsSync(dir)).toBe(true);
  });

  it('leaves the run dir of a live run (same pid and start time)', () => {
    const dir = mkdtempSync(join(base, runDirPrefix));
    writeFileSync(
      join(dir, 'schemaproof-owner.json'),
      JSON.stringify({ pid: process.pid, host: hostname(), boot: bootId(), startTicks: processStartTicks(process.pid), serverUid: 0, startedAt: '' }),
      { mode: 0o600 },
    );
    expect(reapStaleClusters(base)).not.toContain(dir);
    expect(existsSync(dir)).toBe(true);
  });

  it('reaps the run dir of a reused pid (alive, but started at another time)', () => {
    const dir = mkdtempSync(join(base, runDirPrefix));
    writeFileSync(
      join(dir, 'schemaproof-owner.json'),
      JSON.stringify({ pid: victim.pid, host: hostname(), boot: bootId(), startTicks: (processStartTicks(victim.pid ?? 0) ?? 0) + 1, serverUid: 0, startedAt: '' }),
      { mode: 0o600 },
    );
    expect(reapStaleClusters(base)).toContain(dir);
    expect(alive(victim)).toBe(true);
  });
});
