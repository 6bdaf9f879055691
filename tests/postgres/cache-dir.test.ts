/**
 * The private cache folder: created 0700 where only we can write, refused
 * when someone else owns it or could swap it, tightened (and emptied) when
 * others could write to it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRootPath, privateCacheRoot, privateTreeProblem } from '../../src/postgres/index.ts';
import { SchemaproofError } from '../../src/errors/index.ts';
import { cannotCreateUser, createThrowawayUser, sharedTempDir, type ThrowawayUser } from '../helpers/os-user.ts';

const scratch: string[] = [];
function privateTemp(): string {
  const dir = mkdtempSync('/tmp/sp-cache-test-');
  scratch.push(dir);
  return dir;
}

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (error) {
    return error instanceof SchemaproofError ? error.code : `not ours: ${String(error)}`;
  }
}

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe('private cache folder', () => {
  it('creates $XDG_CACHE_HOME/schemaproof and the missing directories on the way with mode 0700', () => {
    const xdg = join(privateTemp(), 'a', 'b');
    const root = privateCacheRoot({ env: { XDG_CACHE_HOME: xdg, HOME: '/nonexistent' } });
    expect(root).toBe(join(xdg, 'schemaproof'));
    for (const dir of [join(xdg, '..'), xdg, root]) expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('prefers SCHEMAPROOF_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(cacheRootPath({ SCHEMAPROOF_CACHE_DIR: '/x/y', XDG_CACHE_HOME: '/z', HOME: '/h' })).toBe('/x/y');
    expect(cacheRootPath({ XDG_CACHE_HOME: '/z', HOME: '/h' })).toBe('/z/schemaproof');
    expect(cacheRootPath({ XDG_CACHE_HOME: 'relative', HOME: '/h' })).toBe('/h/.cache/schemaproof');
  });

  it('tightens a root of ours that others could write to, empties it, and says so in one line', () => {
    const root = join(privateTemp(), 'cache');
    mkdirSync(root);
    chmodSync(root, 0o777);
    writeFileSync(join(root, 'planted'), 'x');
    const notices: string[] = [];
    expect(privateCacheRoot({ env: { SCHEMAPROOF_CACHE_DIR: root }, onNotice: (line) => notices.push(line) })).toBe(root);
    expect(statSync(root).mode & 0o777).toBe(0o700);
    expect(existsSync(join(root, 'planted'))).toBe(false);
    expect(notices).toHaveLength(1);
  });

  it('refuses a root below a directory anyone may write to without the sticky bit', () => {
    const open = join(privateTemp(), 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    expect(codeOf(() => privateCacheRoot({ env: { SCHEMAPROOF_CACHE_DIR: join(open, 'cache') } }))).toBe('cache_dir_unsafe');
  });

  it('refuses a root that is a symbolic link', () => {
    const dir = privateTemp();
    mkdirSync(join(dir, 'real'), { mode: 0o700 });
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    expect(codeOf(() => privateCacheRoot({ env: { SCHEMAPROOF_CACHE_DIR: join(dir, 'link') } }))).toBe('cache_dir_unsafe');
  });

  it('reports a tree with a group-writable file as not private', () => {
    const dir = privateTemp();
    writeFileSync(join(dir, 'file'), 'x', { mode: 0o600 });
    expect(privateTreeProblem(dir)).toBeNull();
    chmodSync(join(dir, 'file'), 0o620);
    expect(privateTreeProblem(dir)).not.toBeNull();
  });
});

if (cannotCreateUser) console.warn(`cache ownership tests skipped: ${cannotCreateUser}`);

describe.skipIf(cannotCreateUser !== null)('private cache folder on a shared machine', () => {
  let other: ThrowawayUser;
  let shared: string;
  beforeAll(() => {
    other = createThrowawayUser();
    shared = sharedTempDir('sp-cache-shared-');
    scratch.push(shared);
  });
  afterAll(() => other.remove());

  it('refuses a cache root another user created (SCHEMAPROOF_CACHE_DIR gets the same checks) and leaves it alone', () => {
    const root = join(shared, 'cache');
    other.sh(`mkdir -m 700 ${root} && touch ${root}/theirs`);
    expect(codeOf(() => privateCacheRoot({ env: { SCHEMAPROOF_CACHE_DIR: root } }))).toBe('cache_dir_unsafe');
    expect(statSync(join(root, 'theirs')).uid).toBe(other.uid);
  });

  it("refuses a cache root below another user's directory", () => {
    const theirs = join(shared, 'theirs');
    other.sh(`mkdir -m 755 ${theirs}`);
    expect(codeOf(() => privateCacheRoot({ env: { SCHEMAPROOF_CACHE_DIR: join(theirs, 'cache') } }))).toBe('cache_dir_unsafe');
    expect(existsSync(join(theirs, 'cache'))).toBe(false);
  });
});
