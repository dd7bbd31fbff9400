/** The real PostgreSQL of the test machine: a unique schema per test run, dropped after. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_URL = process.env['HONEYGATE_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export function uniqueSchema(prefix = 'hg_test'): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`bad schema name ${schema}`);
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
