import { describe, expect, it } from 'vitest';
import { sql } from '@databases/pg';
import { dockerAvailable, dockerServer } from '../../src/postgres/index.ts';

// The Docker path needs a reachable daemon. This machine (and CI here) has the
// docker client but no daemon, so the test is skipped with this reason; where
// a daemon exists it runs for real.
const reason = 'no Docker daemon reachable (no DOCKER_HOST, no /var/run/docker.sock)';

describe.skipIf(!dockerAvailable())(`testcontainers path (skipped when ${reason})`, () => {
  it('starts postgres:15 in a container and connects', async () => {
    const server = await dockerServer(null);
    try {
      const db = server.connect('postgres');
      const rows = await db.query(sql`select current_setting('server_version_num')::int as v`);
      await db.dispose();
      expect(rows[0]?.v).toBeGreaterThanOrEqual(150000);
    } finally {
      await server.stop();
    }
  }, 300_000);
});
