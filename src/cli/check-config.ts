/** `honeygate check-config FILE`: every problem with its dotted path; exit 2 on errors, 0 otherwise. */
import { dirname, resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { formatIssue } from '../config/issues.js';
import { loadConfigText } from '../config/load.js';
import { isOpenAIKeyEntry } from '../config/rules.js';
import { CONFIG_PARTS, PROVIDERS } from '../gateway/registry.js';
import { EXIT_USAGE, type CliIO } from './io.js';

const USAGE = `usage: honeygate check-config FILE

  Validates a config file: every problem with its dotted path. Exit 2 on errors, 0 otherwise
  (warnings are printed). \${ENV_VAR} references are filled from the environment.
`;

export async function runCheckConfig(io: CliIO): Promise<number> {
  if (io.argv.includes('--help') || io.argv.includes('-h')) {
    io.stdout.write(USAGE);
    return 0;
  }
  const file = io.argv.find((a) => !a.startsWith('-'));
  if (file === undefined) {
    io.stderr.write(USAGE);
    return EXIT_USAGE;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e: unknown) {
    io.stderr.write(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})\n`);
    return EXIT_USAGE;
  }
  const { config, issues } = await loadConfigText(text, { env: io.env, baseDir: dirname(resolve(file)), file });
  for (const issue of issues) (issue.level === 'error' ? io.stderr : io.stdout).write(`${file}: ${formatIssue(issue)}\n`);
  if (!config) {
    io.stderr.write(`${file}: ${issues.filter((i) => i.level === 'error').length} error(s)\n`);
    return EXIT_USAGE;
  }
  const openai = config.keys.filter((k) => isOpenAIKeyEntry(k, CONFIG_PARTS));
  const anthropicPart = PROVIDERS.find((p) => p.name === 'anthropic')?.config;
  const lure = openai.filter((k) => k.class === 'lure').length;
  const aws = [...config.aws_keys, ...config.bedrock_api_keys];
  const awsText = aws.length > 0 ? `; ${aws.length} AWS keys, ${aws.filter((k) => k.class === 'lure').length} lure` : '';
  const anthropic = [...config.anthropic_keys, ...config.keys.filter((k) => anthropicPart?.ownsKeyEntry?.(k) === true)];
  const anthropicText = anthropic.length > 0 ? `; ${anthropic.length} Anthropic keys, ${anthropic.filter((k) => k.class === 'lure').length} lure` : '';
  io.stdout.write(`${file}: ok (${openai.length} keys, ${lure} lure${awsText}${anthropicText}; ${Object.keys(config.upstreams).length} upstreams; ${issues.length} warning(s))\n`);
  return 0;
}
