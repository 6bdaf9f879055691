/**
 * Acting as a Supabase caller inside one transaction: `SET LOCAL ROLE` plus
 * transaction-local JWT claims, exactly how PostgREST does it, so nothing
 * survives into the next transaction on the same connection.
 */
import { sql, type Queryable, type Transaction } from '@databases/pg';

export type JwtClaims = Readonly<Record<string, unknown>>;

export type Actor =
  | { readonly kind: 'anon'; readonly claims?: JwtClaims }
  | { readonly kind: 'user'; readonly id: string; readonly claims?: JwtClaims }
  | { readonly kind: 'admin'; readonly id: string; readonly claims?: JwtClaims }
  | { readonly kind: 'service'; readonly claims?: JwtClaims }
  /** A role with no claims, e.g. a table owner without BYPASSRLS. */
  | { readonly kind: 'role'; readonly role: string; readonly claims?: JwtClaims };

export interface ActorSession {
  readonly role: string;
  readonly claims: JwtClaims | null;
}

export function actorSession(actor: Actor): ActorSession {
  switch (actor.kind) {
    case 'anon':
      return { role: 'anon', claims: { role: 'anon', ...actor.claims } };
    case 'user':
      return { role: 'authenticated', claims: { sub: actor.id, role: 'authenticated', aud: 'authenticated', ...actor.claims } };
    case 'admin':
      return {
        role: 'authenticated',
        claims: {
          sub: actor.id,
          role: 'authenticated',
          aud: 'authenticated',
          ...actor.claims,
          app_metadata: { provider: 'email', ...(actor.claims?.app_metadata as object | undefined), role: 'admin' },
        },
      };
    case 'service':
      return { role: 'service_role', claims: { role: 'service_role', ...actor.claims } };
    case 'role':
      return { role: actor.role, claims: actor.claims ?? null };
  }
}

export function describeActor(actor: Actor): string {
  switch (actor.kind) {
    case 'anon':
    case 'service':
      return actor.kind;
    case 'user':
      return `user ${actor.id}`;
    case 'admin':
      return `admin ${actor.id}`;
    case 'role':
      return `role ${actor.role}`;
  }
}

/** Inside an open transaction: become the actor until the transaction ends. */
export async function becomeActor(tx: Queryable, actor: Actor): Promise<void> {
  const session = actorSession(actor);
  await tx.query(sql`select set_config('request.jwt.claims', ${session.claims ? JSON.stringify(session.claims) : ''}, true)`);
  await tx.query(sql`set local role ${sql.ident(session.role)}`);
}

class Rollback extends Error {
  constructor(readonly value: unknown) {
    super('rollback');
  }
}

export interface AsActorOptions {
  /** Roll the transaction back after `fn` (default false: commit). */
  readonly rollback?: boolean;
}

/** Run `fn` as `actor` in its own transaction on `db`. */
export async function asActor<T>(db: { tx<R>(fn: (tx: Transaction) => Promise<R>): Promise<R> }, actor: Actor, fn: (tx: Transaction) => Promise<T>, options: AsActorOptions = {}): Promise<T> {
  try {
    return await db.tx(async (tx) => {
      await becomeActor(tx, actor);
      const value = await fn(tx);
      if (options.rollback) throw new Rollback(value);
      return value;
    });
  } catch (error) {
    if (error instanceof Rollback) return error.value as T;
    throw error;
  }
}
