import { describe, expect, it } from 'vitest';
import { existsSync, statSync } from 'node:fs';
import { sql } from '@databases/pg';
import { findPgBinaries, localServer, startLocalCluster } from '../../src/postgres/index.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('local throwaway cluster', () => {
  it('starts PostgreSQL 15 on a private unix socket and removes everything on stop', async () => {
    const binaries = findPgBinaries();
    const cluster = await startLocalCluster({ binaries });
    const server = localServer(cluster, binaries);
    const db = server.connect('postgres');
    const rows = await db.query(
      sql`select current_setting('server_version_num')::int as version, current_setting('listen_addresses') as listen, current_setting('unix_socket_directories') as sockets`,
    );
    await db.dispose();
    expect(rows[0]?.version).toBeGreaterThanOrEqual(150000);
    expect(rows[0]?.version).toBeLessThan(160000);
    expect(rows[0]?.listen).toBe('');
    expect(rows[0]?.sockets).toBe(cluster.dir);
    if (process.getuid?.() === 0) {
      // as root, the server runs as an unprivileged user
      expect(statSync(`${cluster.dir}/data/PG_VERSION`).uid).not.toBe(0);
    }
    await server.stop();
    expect(alive(cluster.postmasterPid)).toBe(false);
    expect(existsSync(cluster.dir)).toBe(false);
  });

  it('runs two clusters at the same time without collision', async () => {
    const binaries = findPgBinaries();
    const [first, second] = await Promise.all([startLocalCluster({ binaries }), startLocalCluster({ binaries })]);
    try {
      expect(first.dir).not.toBe(second.dir);
      const results = await Promise.all(
        [first, second].map(async (cluster) => {
          const db = localServer(cluster, binaries).connect('postgres');
          await db.query(sql`create database isolated_check`);
          const rows = await db.query(sql`select count(*)::int as n from pg_database where datname = 'isolated_check'`);
          await db.dispose();
          return rows[0]?.n;
        }),
      );
      expect(results).toEqual([1, 1]);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});
