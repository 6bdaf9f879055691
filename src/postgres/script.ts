/**
 * A script of statements sent as one simple-protocol query: Postgres splits
 * and runs it, in one round trip. `db.query(sql)` splits the text on the
 * client and sends each statement on its own (a world of 65 rows took 65
 * round trips); a query passed in an array is sent as it is.
 *
 * Outside a transaction block Postgres runs the whole script as one
 * implicit transaction, so statements that refuse to run inside one
 * (CREATE INDEX CONCURRENTLY, VACUUM, ALTER SYSTEM) fail here: use it for
 * data, not for arbitrary DDL. The first failing statement ends the script
 * and its error is thrown.
 */
import { sql, type Queryable } from '@databases/pg';

export async function runScript(db: Queryable, text: string): Promise<void> {
  await db.query([sql.__dangerous__rawValue(text)]);
}
