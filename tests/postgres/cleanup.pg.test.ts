import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { reapStaleClusters } from '../../src/postgres/index.ts';

const root = resolve(import.meta.dirname, '../..');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // a zombie is not alive
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function startChild(): Promise<{ child: ReturnType<typeof spawn>; dir: string; pid: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/fixtures/start-cluster.mts'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const line = await new Promise<string>((resolveLine, reject) => {
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      if (buffer.includes('\n')) resolveLine(buffer.split('\n')[0] ?? '');
    });
    child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
  });
  const { dir, pid } = JSON.parse(line) as { dir: string; pid: number };
  return { child, dir, pid };
}

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return predicate();
}

describe('cluster cleanup', () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) {
    it(`stops postgres and removes the directory on ${signal}`, async () => {
      const { child, dir, pid } = await startChild();
      expect(alive(pid)).toBe(true);
      expect(existsSync(dir)).toBe(true);
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
      expect(await waitFor(() => !alive(pid), 5000)).toBe(true);
      expect(existsSync(dir)).toBe(false);
    });
  }

  it('reaps a cluster left behind by a killed run', async () => {
    const { child, dir, pid } = await startChild();
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    // the orphaned postgres is still there: nobody cleaned up
    expect(alive(pid)).toBe(true);
    // (a cluster started concurrently by another test file may reap it first)
    reapStaleClusters();
    expect(await waitFor(() => !alive(pid), 5000)).toBe(true);
    expect(existsSync(dir)).toBe(false);
  });
});
