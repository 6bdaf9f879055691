/**
 * After a signal, a run against a server we did not start keeps executing
 * while the signal's cleanup drops its databases (and until the process
 * ends): it must not create a database after the cleanup's last look. Probed
 * with `test` and SIGHUP while a pgTAP clone existed: the next clone was left
 * on the server. Its own file: the signal leaves this process marked as
 * interrupted.
 */
import { expect, inject, it } from 'vitest';
import { sql } from '@databases/pg';
import { attachServer, connectTarget, createDatabase, currentRunTag, interruptedBy } from '../../src/postgres/index.ts';
import { waitFor } from '../helpers/cli.ts';

it('no database is created once a signal has started the cleanup (the run keeps creating meanwhile)', async () => {
  const base = inject('pg').maintenance;
  const admin = connectTarget(base, { poolSize: 1 });
  const ours = async (): Promise<string[]> =>
    (await admin.query(sql`select datname from pg_database where starts_with(datname, ${`sp_${currentRunTag()}_`}) order by datname`)).map((row) => String(row.datname));
  // With a listener of our own the process survives the signal (the cleanup re-raises it only when nobody else listens).
  const survive = (): void => undefined;
  process.on('SIGHUP', survive);
  try {
    const server = attachServer(base, null);
    let cloned = 0;
    let stopLoop = false;
    let loopError: unknown = null;
    // Like the pgTAP runner: database after database, each kept while its file runs; a failed one (the
    // cleanup ends our sessions creating databases) is not the end of the run, only the signal is.
    const loop = (async () => {
      while (!stopLoop) {
        try {
          await createDatabase(server, 'loop');
          cloned += 1;
        } catch (error) {
          if ((error as { detail?: { code?: string } }).detail?.code === 'interrupted') throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })().catch((error: unknown) => {
      loopError = error;
    });
    await waitFor('a first database', () => cloned >= 1);
    process.kill(process.pid, 'SIGHUP');
    await waitFor('the signal', () => interruptedBy() === 'SIGHUP');
    // The cleanup is over when its own listener is gone (only ours is left).
    await waitFor('the cleanup to finish', () => process.listenerCount('SIGHUP') === 1, 60_000);
    // What the run does after the cleanup's last look (here the process lives on) must not leave anything.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    stopLoop = true;
    await loop;
    expect(await ours()).toEqual([]);
    expect((loopError as { detail?: { code?: string } } | null)?.detail?.code).toBe('interrupted');
  } finally {
    process.off('SIGHUP', survive);
    for (const name of await ours()) {
      await admin.query(sql`alter database ${sql.ident(name)} with is_template false`).catch(() => undefined);
      await admin.query(sql`drop database if exists ${sql.ident(name)} with (force)`);
    }
    await admin.dispose();
  }
});
