/** `honeygate schema`: the JSON Schema of the config file, generated from the zod schema. */
import { z } from 'zod';
import { buildConfigSchema } from '../config/part.js';
import { CONFIG_PARTS } from '../gateway/registry.js';
import type { CliIO } from './io.js';

export function configJsonSchema(): unknown {
  return {
    ...z.toJSONSchema(buildConfigSchema(CONFIG_PARTS), { io: 'input', unrepresentable: 'any' }),
    $id: 'https://github.com/honeygate/honeygate/schema/honeygate.schema.json',
    title: 'honeygate configuration',
  };
}

export async function runSchema(io: CliIO): Promise<number> {
  if (io.argv.includes('--help') || io.argv.includes('-h')) {
    io.stdout.write('usage: honeygate schema > honeygate.schema.json\n\n  Prints the JSON Schema of the config file (for editors: yaml-language-server, VS Code).\n');
    return 0;
  }
  if (io.argv.length > 0) {
    io.stderr.write(`honeygate schema: unexpected ${JSON.stringify(io.argv[0])}\nusage: honeygate schema\n`);
    return 2;
  }
  io.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  return 0;
}
