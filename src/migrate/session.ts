/**
 * The migration run's one connection: a node-postgres client inside one
 * transaction, with just enough of @databases' query interface (`query`,
 * `tx`, `sql`) for @databases/pg-migrations' bookkeeping and the shim.
 *
 * Why not a @databases pool: it runs every multi-statement query through
 * @databases/split-sql-query (shared/lib/BaseTransaction.js `query` →
 * `splitSqlQuery`), which silently drops text after a block comment closed
 * with `**\/` (the issue 11 repro). Here no query is ever split: a file is ONE
 * simple-protocol query (no parameters), exactly as written, and the server's
 * parser is the only one that decides where statements are. Owning the
 * client also lets us count the statements the server completed before an
 * error (one CommandComplete each), which locates an error that carries no
 * position (a constraint violated by data, a division by zero) at its
 * statement instead of at the file.
 */
import pg from 'pg';
import { sql, type SQLQuery } from '@databases/pg';
import type { ConnectionTarget } from '../postgres/index.ts';

/** A simple-protocol query that counts the statements the server completed. */
class ScriptQuery extends pg.Query {
  completed = 0;
  handleCommandComplete(message: unknown, connection: unknown): void {
    this.completed += 1;
    (pg.Query.prototype as unknown as { handleCommandComplete(m: unknown, c: unknown): void }).handleCommandComplete.call(this, message, connection);
  }
}

/** A script failed after `completed` statements of it had finished. */
export class ScriptError extends Error {
  constructor(
    readonly error: unknown,
    readonly completed: number,
  ) {
    super(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

type Row = Record<string, unknown>;

export class Session {
  /** The @databases `sql` tag, as @databases/pg-migrations expects on its connection. */
  readonly sql = sql;
  private savepoints = 0;

  constructor(private readonly client: pg.Client) {}

  /** One statement from the `sql` tag (values become $n parameters); an array runs each in turn. */
  async query(query: SQLQuery | readonly SQLQuery[]): Promise<Row[]> {
    if (Array.isArray(query)) {
      const results: Row[][] = [];
      for (const entry of query as readonly SQLQuery[]) results.push(await this.query(entry));
      return results as unknown as Row[];
    }
    const formatted = (query as SQLQuery).format({
      escapeIdentifier: (name: string) => this.client.escapeIdentifier(name),
      formatValue: (value: unknown, index: number) => ({ placeholder: `$${index + 1}`, value }),
    });
    const result = (await this.client.query({ text: formatted.text, values: formatted.values as unknown[] })) as pg.QueryResult | pg.QueryResult[];
    const last = Array.isArray(result) ? result[result.length - 1] : result;
    return (last?.rows ?? []) as Row[];
  }

  /** A nested transaction (savepoint), as @databases' `tx` on a transaction. */
  async tx<T>(fn: (tx: Session) => Promise<T>): Promise<T> {
    const name = `schemaproof_${++this.savepoints}`;
    await this.client.query(`savepoint ${name}`);
    let result: T;
    try {
      result = await fn(this);
    } catch (error) {
      await this.client.query(`rollback to savepoint ${name}`).catch(() => undefined);
      throw error;
    }
    await this.client.query(`release savepoint ${name}`);
    return result;
  }

  /** Send `text` to the server as ONE simple-protocol query; a failure is a ScriptError with the count of completed statements. */
  async runScript(text: string): Promise<void> {
    const query = new ScriptQuery(text);
    try {
      await new Promise<void>((resolve, reject) => {
        query.on('error', reject);
        query.on('end', () => resolve());
        this.client.query(query);
      });
    } catch (error) {
      throw new ScriptError(error, query.completed);
    }
  }
}

export async function openSession(target: ConnectionTarget): Promise<{ session: Session; close: () => Promise<void> }> {
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    user: target.user,
    ...(target.password !== undefined ? { password: target.password } : {}),
    database: target.database,
    application_name: 'schemaproof',
  });
  client.on('error', () => undefined);
  await client.connect();
  return { session: new Session(client), close: () => client.end() };
}
