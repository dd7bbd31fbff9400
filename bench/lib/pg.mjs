// PostgreSQL for the event-store rows: drop the run's schemas at the end. Uses pg, already a
// honeygate dependency.
import { createRequire } from 'node:module';
import { ROOT } from './gateway.mjs';

const require = createRequire(`${ROOT}/package.json`);

export async function dropPgSchemas(url, schemas) {
  let pg;
  try {
    pg = require('pg');
  } catch {
    return;
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    for (const schema of schemas) if (/^[a-z_][a-z0-9_]*$/.test(schema)) await client.query(`drop schema if exists "${schema}" cascade`);
  } catch {
    // no PostgreSQL: nothing was created
  } finally {
    await client.end().catch(() => undefined);
  }
}
