/**
 * The `anthropic-beta` header as the API judges it (docs/anthropic.md "Betas"):
 * - every comma-separated value must be a beta the API knows; otherwise the whole request is
 *   refused with 400 `invalid_request_error` "Unexpected value(s) `a`, `b` for the `anthropic-beta`
 *   header. Please consult our documentation at docs.claude.com or try again without the header."
 *   [OBS: public issue threads 2025–2026; an empty value is named as ``]. Betas that went GA stay
 *   accepted ([REC] `tools-2024-05-16` answered 200 in August 2025); a misdated name is refused
 *   ([OBS] `interleaved-thinking-2025-04-14`).
 * - KNOWN: the names the official SDK (1.17) types, and the graduated or client-sent names seen in
 *   recordings and threads. A well-formed name dated after the newest known one is accepted too: a
 *   beta newer than this catalogue must not unmask a lure.
 * - the betas that change an answer (validate.ts, decoy.ts): `output-128k-2025-02-19` (Claude
 *   Sonnet 3.7 writes up to 128,000 tokens), `context-1m-2025-08-07` (a 1,000,000-token window on
 *   Sonnet 4 / 4.5 / 4.6 and Opus 4.6), `interleaved-thinking-2025-05-14` (a thinking budget may
 *   exceed `max_tokens`; the model thinks again after a tool result), `token-efficient-tools-2025-02-19` (shorter tool calls on Sonnet 3.7),
 *   and the body fields only a beta admits (`mcp_servers`, `context_management`, `container`, the
 *   beta `output_format`): without their beta they are `Extra inputs are not permitted`.
 */

const SDK_BETAS = [
  'computer-use-2024-10-22', 'computer-use-2025-01-24', 'output-128k-2025-02-19', 'mcp-client-2025-04-04', 'mcp-client-2025-11-20',
  'dev-full-thinking-2025-05-14', 'interleaved-thinking-2025-05-14', 'code-execution-2025-05-22', 'context-1m-2025-08-07',
  'context-management-2025-06-27', 'model-context-window-exceeded-2025-08-26', 'fast-mode-2026-02-01', 'output-300k-2026-03-24',
  'user-profiles-2026-03-24', 'user-profiles-2026-08-18', 'user-profiles-2026-09-04', 'advisor-tool-2026-03-01', 'managed-agents-2026-04-01',
  'dreaming-2026-04-21', 'thinking-token-count-2026-05-13', 'server-side-fallback-2026-06-01', 'server-side-fallback-2026-07-01',
  'fallback-credit-2026-06-01', 'fallback-credit-2026-07-01', 'agent-memory-2026-07-22', 'mid-conversation-tool-changes-2026-07-01',
  'compact-2026-01-12', 'computer-use-2025-11-24', 'mcp-tunnels-2026-06-22', 'structured-outputs-2025-11-13', 'task-budgets-2026-03-13',
  'thinking-display-updates-2026-08-18', 'mid-conversation-output-config-2026-07-01', 'thinking-binding-controls-2026-08-01',
  'mid-conversation-system-clear-at-2026-08-21', 'compact-2026-09-04', 'inline-tools-2026-09-15', 'mcp-client-2026-09-15', 'ce-plugins-2026-09-01',
  'spend-limit-reads-2026-09-26', 'telemetry-destinations-2026-08-11', 'webhooks-2026-10-07', 'admin-user-sign-out-2026-10-08',
  'message-threads-2026-08-12', 'analytics-usage-cost-2026-08-24', 'experimental-claude-tag-2026-10-21', 'message-batches-2024-09-24',
  'prompt-caching-2024-07-31', 'pdfs-2024-09-25', 'token-counting-2024-11-01', 'token-efficient-tools-2025-02-19', 'files-api-2025-04-14',
  'extended-cache-ttl-2025-04-11', 'skills-2025-10-02', 'cache-diagnosis-2026-04-07', 'ce-user-management-2026-07-13',
  'ce-claude-code-managed-settings-2026-10-06', 'efs-2026-10-01', 'google-managed-data-controls-2026-09-01', 'user-profiles-billing-2026-10-01',
] as const;

/** Graduated betas and names clients send (Claude Code, older SDKs), still accepted. */
const OTHER_BETAS = [
  'tools-2024-04-04', 'tools-2024-05-16', 'max-tokens-3-5-sonnet-2024-07-15', 'fine-grained-tool-streaming-2025-05-14', 'claude-code-20250219',
  'oauth-2025-04-20', 'web-fetch-2025-09-10', 'web-search-2025-03-05', 'code-execution-2025-08-25', 'search-results-2025-06-09',
  'effort-2025-11-24', 'advanced-tool-use-2025-11-20', 'tool-examples-2025-10-29', 'prompt-caching-scope-2026-01-05',
] as const;

const KNOWN: ReadonlySet<string> = new Set<string>([...SDK_BETAS, ...OTHER_BETAS]);

/** The newest date among the known names: a well-formed name dated later may be a beta newer than this catalogue. */
const NEWEST = [...KNOWN].map(dateOf).filter((d): d is string => d !== undefined).sort().pop() ?? '2026-10-21';

function dateOf(name: string): string | undefined {
  const dashed = /-(\d{4})-(\d{2})-(\d{2})$/.exec(name);
  if (dashed) return `${dashed[1]}-${dashed[2]}-${dashed[3]}`;
  const packed = /-(\d{4})(\d{2})(\d{2})$/.exec(name);
  return packed ? `${packed[1]}-${packed[2]}-${packed[3]}` : undefined;
}

const WELL_FORMED = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** Is this one value a beta the API would accept? */
export function betaAccepted(name: string): boolean {
  if (KNOWN.has(name)) return true;
  if (!WELL_FORMED.test(name) || name.length > 100) return false;
  const date = dateOf(name);
  return date !== undefined && date > NEWEST;
}

export type BetaCheck = { readonly ok: true; readonly betas: ReadonlySet<string> } | { readonly ok: false; readonly message: string };

function quote(v: string): string {
  return `\`${v.slice(0, 100)}\``;
}

/**
 * The header's values (repeated headers joined, each value trimmed), judged: the accepted set, or
 * the API's refusal naming every unexpected value (at most 32 values are read).
 */
export function checkBetas(raw: string | string[] | undefined): BetaCheck {
  if (raw === undefined) return { ok: true, betas: new Set() };
  const joined = Array.isArray(raw) ? raw.join(',') : raw;
  const values = joined.split(',', 32).map((v) => v.trim());
  const bad = values.filter((v) => !betaAccepted(v));
  if (bad.length > 0) {
    return { ok: false, message: `Unexpected value(s) ${[...new Set(bad)].map(quote).join(', ')} for the \`anthropic-beta\` header. Please consult our documentation at docs.claude.com or try again without the header.` };
  }
  return { ok: true, betas: new Set(values) };
}

/** Body fields of the Messages API that only a beta admits, with the betas that admit each. */
export const BETA_FIELDS: readonly (readonly [field: string, betas: readonly string[]])[] = [
  ['mcp_servers', ['mcp-client-2025-04-04', 'mcp-client-2025-11-20', 'mcp-client-2026-09-15']],
  ['context_management', ['context-management-2025-06-27', 'compact-2026-01-12', 'compact-2026-09-04']],
  ['container', ['code-execution-2025-05-22', 'code-execution-2025-08-25', 'skills-2025-10-02']],
  ['output_format', ['structured-outputs-2025-11-13']],
];
