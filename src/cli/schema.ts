/** `honeygate schema`: the JSON Schema of the config file, generated from the zod schema. */
import { z } from 'zod';
import { configSchema } from '../config/schema.js';
import type { CliIO } from './io.js';

export function configJsonSchema(): unknown {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://github.com/honeygate/honeygate/schema/honeygate.schema.json',
    title: 'honeygate configuration',
  };
}

export async function runSchema(io: CliIO): Promise<number> {
  io.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  return 0;
}
