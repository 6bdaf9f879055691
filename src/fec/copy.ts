/**
 * `COPY ... FROM STDIN` over the `pg` client that @databases/pg is built on
 * (@databases/pg itself has no COPY API), through pg-copy-streams: the COPY
 * is a writable stream the chunks are piped into; a server error (bad row,
 * constraint) destroys the stream and rejects with Postgres's error, and the
 * connection stays usable (the caller rolls back).
 */
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFromStdin, type CopyStreamQuery } from 'pg-copy-streams';
import type { ConnectionTarget } from '../postgres/index.ts';

/** The small part of `pg.Client` we use. */
export interface PgClient {
  connect(): Promise<void>;
  query(text: string, values?: readonly unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
  query(submittable: CopyStreamQuery): CopyStreamQuery;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): void;
}

interface PgModule {
  Client: new (config: Record<string, unknown>) => PgClient;
}

export function pgClient(target: ConnectionTarget): PgClient {
  const pg = createRequire(import.meta.url)('pg') as PgModule;
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    user: target.user,
    database: target.database,
    ...(target.password !== undefined ? { password: target.password } : {}),
    application_name: 'schemaproof load-fec',
  });
  client.on('error', () => undefined);
  return client;
}

/** Run one `COPY ... FROM STDIN` with the given data; resolves to the rows copied. */
export async function copyFrom(client: PgClient, text: string, chunks: Iterable<Buffer> | AsyncIterable<Buffer>): Promise<number> {
  const copy = client.query(copyFromStdin(text));
  await pipeline(Readable.from(chunks), copy);
  return copy.rowCount;
}
