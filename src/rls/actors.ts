/**
 * Who acts in a world: the spec's actors (a database role plus a JWT claims
 * template) become people with ids and full Supabase-style claims. Subject
 * actors (those with a user id) get several people, so each is the "other
 * user" of the rest; claims vary the way real tokens do (anonymous sign-ins,
 * aal, e-mail verification, an expired `exp`, hostile `user_metadata`) and
 * the actor's template is merged over them, so no variety can change which
 * actor a person is.
 */
import fc from 'fast-check';
import type { JwtClaims } from '../postgres/index.ts';
import type { AccessSpec, ActorSpec } from './spec.ts';

export interface ClaimVariety {
  readonly is_anonymous: boolean;
  readonly aal: 'aal1' | 'aal2';
  readonly email_verified: boolean;
  readonly expired: boolean;
  readonly app_metadata: JwtClaims;
  readonly user_metadata: JwtClaims;
}

/** user_metadata is editable by its user: none of these may make anyone more than they are. */
const hostileUserMetadata: readonly JwtClaims[] = [{}, { role: 'admin' }, { admin: true, name: 'Mallory' }, { app_metadata: { role: 'admin' } }];

export function claimVariety(forced: Partial<ClaimVariety> = {}): fc.Arbitrary<ClaimVariety> {
  return fc
    .record({
      is_anonymous: fc.boolean(),
      aal: fc.constantFrom('aal1' as const, 'aal2' as const),
      email_verified: fc.boolean(),
      expired: fc.boolean(),
      app_metadata: fc.constantFrom<JwtClaims>({}, { provider: 'email' }, { provider: 'email', role: 'user' }, { providers: ['github'], role: 'authenticated' }),
      user_metadata: fc.constantFrom(...hostileUserMetadata),
    })
    .map((value) => ({ ...value, ...forced }));
}

/** People per subject actor; the first person of each claims admin in user_metadata. */
export function peopleArbitrary(spec: AccessSpec): fc.Arbitrary<Readonly<Record<string, readonly ClaimVariety[]>>> {
  const entries = spec.actors
    .filter((actor) => actor.subject)
    .map((actor) => {
      const first = claimVariety({ user_metadata: { role: 'admin' } });
      const rest = fc.array(claimVariety(), { minLength: actor.people.min - 1, maxLength: actor.people.max - 1 });
      return [actor.name, fc.tuple(first, rest).map(([head, tail]) => [head, ...tail])] as const;
    });
  return fc.record(Object.fromEntries(entries) as Record<string, fc.Arbitrary<readonly ClaimVariety[]>>);
}

export interface Person {
  readonly label: string;
  readonly id: string;
  /** The spec actor this person is. */
  readonly actor: string;
  readonly email: string;
  readonly claims: JwtClaims;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `template` merged over `base`, objects merged key by key. */
export function mergeClaims(base: JwtClaims, template: JwtClaims): JwtClaims {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(template)) {
    merged[key] = isObject(value) && isObject(merged[key]) ? mergeClaims(merged[key] as JwtClaims, value) : value;
  }
  return merged;
}

export function personClaims(actor: ActorSpec, id: string, email: string, variety: ClaimVariety, nowSeconds: number): JwtClaims {
  return mergeClaims(
    {
      sub: id,
      role: actor.role,
      aud: 'authenticated',
      email,
      is_anonymous: variety.is_anonymous,
      aal: variety.aal,
      email_verified: variety.email_verified,
      exp: variety.expired ? nowSeconds - 3600 : nowSeconds + 3600,
      app_metadata: variety.app_metadata,
      user_metadata: variety.user_metadata,
    },
    actor.claims,
  );
}

/** Claims of an actor without a user id (anon, service). */
export function roleClaims(actor: ActorSpec): JwtClaims {
  return mergeClaims({ role: actor.role }, actor.claims);
}

/** One acting session in a world: who, as which role, with which claims. */
export interface WorldActor {
  readonly label: string;
  /** Spec actor name; `owner` = the table owner (audit immutability); `owner_probe` = an owner without BYPASSRLS. */
  readonly actor: string;
  readonly id: string | null;
  readonly role: string;
  readonly claims: JwtClaims | null;
}

export const isSpecActor = (actor: WorldActor): boolean => actor.actor !== 'owner' && actor.actor !== 'owner_probe';

export function worldActors(spec: AccessSpec, people: readonly Person[]): WorldActor[] {
  const actors: WorldActor[] = [];
  for (const actor of spec.actors) {
    if (!actor.subject) {
      actors.push({ label: actor.name, actor: actor.name, id: null, role: actor.role, claims: roleClaims(actor) });
      continue;
    }
    for (const person of people.filter((candidate) => candidate.actor === actor.name)) {
      actors.push({ label: person.label, actor: actor.name, id: person.id, role: actor.role, claims: person.claims });
    }
  }
  return actors;
}
