/** Config of event sinks (issue 6 extends it: SQLite/PostgreSQL store, syslog, webhooks). */
import { z } from 'zod';

export const eventsConfigSchema = z
  .object({
    dir: z.string().default('./data').describe('folder for the embedded event files (JSONL, SQLite)'),
    jsonl: z
      .object({
        enabled: z.boolean().default(true),
        path: z.string().optional().describe('JSONL file; default <dir>/events.jsonl'),
      })
      .default({ enabled: true }),
  })
  .default({ dir: './data', jsonl: { enabled: true } })
  .describe('Where events go');

export type EventsConfig = z.infer<typeof eventsConfigSchema>;
