/**
 * On a server the harness did not start (--database-url), every database a
 * run creates is dropped however the run ends, signals included, templates
 * too; and a run drops what dead runs of this host left behind, nothing else.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawn } from 'node:child_process';
import { sql, type ConnectionPool } from '@databases/pg';
import { connectTarget, currentRunTag, parseRunDatabaseName, provisionPostgres } from '../../src/postgres/index.ts';
import { processStartTicks } from '../../src/postgres/processes.ts';
import { dropRunDatabases } from '../../src/postgres/provision.ts';
import { startCli, waitFor } from '../helpers/cli.ts';
import { pgtapFile, tinyProject, type TinyProject } from '../helpers/project.ts';

function databaseUrl(): string {
  const target = inject('pg').maintenance;
  return `postgresql://${encodeURIComponent(target.user)}@localhost:${target.port}/${target.database}?host=${encodeURIComponent(target.host)}`;
}

let admin: ConnectionPool;
let project: TinyProject;

beforeAll(() => {
  admin = connectTarget(inject('pg').maintenance, { poolSize: 1 });
  project = tinyProject({ pgtap: { 'slow.sql': pgtapFile('select pg_sleep(120);') } });
});

afterAll(async () => {
  await admin.dispose();
  project.remove();
});

async function databasesOf(pid: number): Promise<string[]> {
  const rows = await admin.query(sql`select datname from pg_database where starts_with(datname, 'sp_')`);
  return rows.map((row) => String(row.datname)).filter((name) => parseRunDatabaseName(name)?.pid === pid);
}

describe('databases on a server we did not start', () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) {
    it(`are all dropped when the run gets ${signal} mid-test, templates included`, async () => {
      const run = startCli(['--database-url', databaseUrl(), 'test'], { cwd: project.dir });
      const pid = run.child.pid ?? -1;
      // the migrated template (pgTAP is installed before the migrations, so it is the pgTAP template too) and the clone the slow file runs in
      await waitFor('the pgTAP clone to exist', async () => (await databasesOf(pid)).some((name) => name.endsWith('_pgtap')));
      const templates = await admin.query(sql`select count(*)::int as n from pg_database where datistemplate and datname = any(${await databasesOf(pid)}::text[])`);
      expect(templates[0]?.n).toBeGreaterThanOrEqual(1);
      run.child.kill(signal);
      const result = await run.done;
      expect(result.signal).toBe(signal);
      expect(await databasesOf(pid)).toEqual([]);
    });
  }

  it('drops a database whose CREATE was still running when the cleanup started (a signal mid-clone)', async () => {
    const base = inject('pg').maintenance;
    const source = `sp_${currentRunTag()}_900002_inflight_source`;
    const target = `sp_${currentRunTag()}_900003_inflight`;
    const holder = connectTarget(base, { poolSize: 1 });
    const creator = connectTarget(base, { poolSize: 1 });
    await admin.query(sql`create database ${sql.ident(source)}`);
    try {
      let creating: Promise<unknown> = Promise.resolve();
      await holder.task(async (session) => {
        // An uncommitted rename holds the source database's lock: the CREATE below waits on it, in flight.
        await session.query(sql`begin`);
        await session.query(sql`alter database ${sql.ident(source)} rename to ${sql.ident(`${source}_held`)}`);
        creating = creator.query(sql`create database ${sql.ident(target)} template ${sql.ident(source)}`).catch(() => undefined);
        await waitFor('the CREATE to wait on the lock', async () => {
          const rows = await admin.query(sql`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and strpos(query, ${target}) > 0`);
          return rows[0]?.n === 1;
        });
        await dropRunDatabases(base, [target]);
        await session.query(sql`rollback`);
      });
      // Left running, the CREATE would now go through and leave the database behind.
      await creating;
      const rows = await admin.query(sql`select count(*)::int as n from pg_database where datname = ${target}`);
      expect(rows[0]?.n).toBe(0);
    } finally {
      await holder.dispose();
      await creator.dispose();
      await admin.query(sql`drop database if exists ${sql.ident(target)}`);
      await admin.query(sql`drop database if exists ${sql.ident(source)}`);
    }
  });

  it('drops what a dead run of this host left (templates unmarked first), and leaves live and foreign runs alone', async () => {
    const [hostBoot] = currentRunTag().split('_');
    const sleeper = spawn('sleep', ['30']);
    const pid = sleeper.pid ?? 1;
    const start = processStartTicks(pid) ?? 0;
    sleeper.kill('SIGKILL');
    await new Promise((resolve) => sleeper.once('exit', resolve));
    const dead = `sp_${hostBoot}_${pid.toString(36)}_${start.toString(36)}_1_leftover`;
    const reused = `sp_${hostBoot}_${process.pid.toString(36)}_${((processStartTicks(process.pid) ?? 0) + 1).toString(36)}_1_reused_pid`;
    const live = `sp_${currentRunTag()}_900001_live`;
    const foreign = `sp_${hostBoot === 'ffffff0000' ? 'eeeeee0000' : 'ffffff0000'}_${pid.toString(36)}_${start.toString(36)}_1_other_host`;
    const someoneElses = 'schemaproof_probe_not_ours';
    try {
      for (const name of [dead, reused, live, foreign, someoneElses]) await admin.query(sql`create database ${sql.ident(name)}`);
      await admin.query(sql`alter database ${sql.ident(dead)} with is_template true`);
      const server = await provisionPostgres({ databaseUrl: databaseUrl() });
      await server.stop();
      const rows = await admin.query(sql`select datname from pg_database where datname = any(${[dead, reused, live, foreign, someoneElses]}::text[]) order by datname`);
      expect(rows.map((row) => row.datname).sort()).toEqual([live, foreign, someoneElses].sort());
    } finally {
      for (const name of [dead, reused, live, foreign, someoneElses]) {
        await admin.query(sql`alter database ${sql.ident(name)} with is_template false`).catch(() => undefined);
        await admin.query(sql`drop database if exists ${sql.ident(name)}`);
      }
    }
  });
});
