/** Config of the state store (issue 5 owns the Redis part). */
import { z } from 'zod';

export const storeConfigSchema = z
  .object({
    backend: z.enum(['memory', 'redis']).default('memory').describe('memory (one instance) or redis (many instances share state)'),
  })
  .default({ backend: 'memory' })
  .describe('Shared state: rate limits, lure counters, blocks, canaries');

export type StoreConfig = z.infer<typeof storeConfigSchema>;
