// Measures the foundation's costs on this machine, in one run:
//   cold start to a migrated template (provision + migrate + mark template),
//   template.clone() vs a raw `CREATE DATABASE ... TEMPLATE` on an open
//   connection (p50 of N each, interleaved), and file_copy vs wal_log.
// Usage: npx tsx scripts/measure-provision.mts [N]
import { sql } from '@databases/pg';
import { resolve } from 'node:path';
import { openWorkspace } from '../src/workspace/index.ts';

const runs = Number(process.argv[2] ?? 20);
const root = resolve(import.meta.dirname, '..');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

const coldStarted = performance.now();
const workspace = await openWorkspace({ sqlDir: `${root}/sql`, policiesDir: `${root}/policies`, root });
const coldMs = performance.now() - coldStarted;
const { server, template } = workspace;
const admin = server.connect(server.maintenanceDatabase, { poolSize: 1 });
const timings = { clone: [] as number[], raw: [] as number[], walLog: [] as number[], drop: [] as number[] };
for (let index = 0; index < runs; index++) {
  let started = performance.now();
  const clone = await template.clone('measure');
  timings.clone.push(performance.now() - started);
  started = performance.now();
  await clone.drop();
  timings.drop.push(performance.now() - started);
  const name = server.uniqueName('raw');
  started = performance.now();
  await admin.query(sql`create database ${sql.ident(name)} template ${sql.ident(template.name)} strategy file_copy`);
  timings.raw.push(performance.now() - started);
  await admin.query(sql`drop database ${sql.ident(name)}`);
  started = performance.now();
  const walLog = await template.clone('measure_wal', 'wal_log');
  timings.walLog.push(performance.now() - started);
  await walLog.drop();
}
await admin.dispose();
await workspace.close();
const clone = median(timings.clone);
const raw = median(timings.raw);
console.log(
  JSON.stringify(
    {
      runs,
      coldStartToMigratedTemplateMs: Math.round(coldMs),
      provisionMs: Math.round(workspace.timings.provisionMs),
      templateMs: Math.round(workspace.timings.templateMs),
      cloneP50Ms: +clone.toFixed(1),
      rawCreateDatabaseP50Ms: +raw.toFixed(1),
      cloneOverRaw: +(clone / raw).toFixed(2),
      walLogCloneP50Ms: +median(timings.walLog).toFixed(1),
      dropP50Ms: +median(timings.drop).toFixed(1),
    },
    null,
    1,
  ),
);
