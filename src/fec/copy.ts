/**
 * `COPY ... FROM STDIN` over the `pg` client that @databases/pg is built on
 * (@databases/pg itself has no COPY API). A minimal "submittable" query: the
 * client calls `submit`, the server answers CopyInResponse, we stream the
 * chunks and end the copy; CommandComplete carries the row count.
 */
import { createRequire } from 'node:module';
import type { ConnectionTarget } from '../postgres/index.ts';

/** The small part of `pg.Client` we use (pg ships no types here). */
export interface PgClient {
  connect(): Promise<void>;
  query(text: string, values?: readonly unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
  query(submittable: CopyIn): CopyIn;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): void;
}

interface PgConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
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

export class CopyIn {
  readonly text: string;
  private readonly chunks: readonly Buffer[];
  private error: unknown = null;
  rows = 0;
  readonly done: Promise<number>;
  private settle!: { resolve: (rows: number) => void; reject: (error: unknown) => void };
  callback?: unknown;

  constructor(text: string, chunks: readonly Buffer[]) {
    this.text = text;
    this.chunks = chunks;
    this.done = new Promise<number>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
  }

  submit(connection: PgConnection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: PgConnection): void {
    for (const chunk of this.chunks) connection.sendCopyFromChunk(chunk);
    connection.endCopyFrom();
  }

  handleCommandComplete(message: { text?: string }): void {
    const match = /COPY (\d+)/.exec(message.text ?? '');
    this.rows = match ? Number(match[1]) : 0;
  }

  handleError(error: unknown): void {
    this.error = error;
    this.settle.reject(error);
  }

  handleReadyForQuery(): void {
    if (this.error === null) this.settle.resolve(this.rows);
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

/** Run one `COPY ... FROM STDIN` with the given data. */
export async function copyFrom(client: PgClient, text: string, chunks: readonly Buffer[]): Promise<number> {
  const copy = new CopyIn(text, chunks);
  client.query(copy);
  return copy.done;
}
