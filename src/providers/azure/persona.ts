/**
 * The Azure OpenAI resource behind a lure key: resource name, region, the deployments it has (name →
 * model and version, SKU, capacity in thousands of tokens per minute), the model session of each
 * deployment, and rate-limit values that fall with use. Derived from the key's sha256 (one seeded
 * stream per field, as the OpenAI persona), so every probe and every instance agree; the operator
 * may pin the resource, the region and the deployments per key. An 84-character key names its
 * region itself (keys.ts), and the persona follows the key.
 */
import { seededRandom } from '../../deception/random.js';
import { AZURE_REGIONS, azureRegion, regionOfKey, type AzureRegion } from '../../deception/azure-keys.js';

export type DeploymentKind = 'chat' | 'completions' | 'embeddings' | 'images';

export interface AzureDeployment {
  /** the deployment name in the URL (or the body's `model` on the v1 API) */
  readonly name: string;
  /** the Azure model name (`gpt-4o`, `gpt-35-turbo-instruct`, `text-embedding-3-small`, `dall-e-3`) */
  readonly model: string;
  /** the model version (`2024-11-20`) */
  readonly version: string;
  /** the id OpenAI's decoy and validation know (`gpt-3.5-turbo-instruct` for Azure's `gpt-35-turbo-instruct`) */
  readonly openaiModel: string;
  /** what answers report in `model` */
  readonly reported: string;
  readonly kind: DeploymentKind;
  readonly sku: 'GlobalStandard' | 'Standard';
  /** thousands of tokens per minute; requests per minute = capacity (GlobalStandard) */
  readonly capacity: number;
  /** `azureml-model-session` */
  readonly modelSession: string;
  /** unix seconds */
  readonly created: number;
  /** a reasoning model: needs 2024-12-01-preview or later on the classic data plane */
  readonly reasoning: boolean;
}

export interface AzurePersona {
  readonly resource: string;
  readonly region: AzureRegion;
  readonly deployments: readonly AzureDeployment[];
  deployment(name: string): AzureDeployment | undefined;
}

/** A deployment as the operator pins it. */
export interface DeploymentSpec {
  readonly model: string;
  readonly version?: string | undefined;
  /** thousands of tokens per minute */
  readonly capacity?: number | undefined;
  readonly sku?: 'GlobalStandard' | 'Standard' | undefined;
}

/** What the operator may pin per lure key. */
export interface AzurePersonaOptions {
  readonly resource?: string;
  readonly region?: string;
  /** deployment name → Azure model name (`gpt-4.1-mini`, optionally `model@version`) or the full spec */
  readonly deployments?: Readonly<Record<string, string | DeploymentSpec>>;
  /** the lure key itself, when known (an 84-character key names its region) */
  readonly key?: string;
}

interface CatalogueEntry {
  readonly model: string;
  readonly version: string;
  readonly openaiModel: string;
  readonly kind: DeploymentKind;
  readonly reasoning?: boolean;
  /** `model` in answers: model-version for chat models, the bare name otherwise */
  readonly dated: boolean;
}

/** Models an Azure OpenAI resource deploys today, with their current default versions. */
export const AZURE_MODELS: readonly CatalogueEntry[] = [
  { model: 'gpt-4o', version: '2024-11-20', openaiModel: 'gpt-4o', kind: 'chat', dated: true },
  { model: 'gpt-4o-mini', version: '2024-07-18', openaiModel: 'gpt-4o-mini', kind: 'chat', dated: true },
  { model: 'gpt-4.1', version: '2025-04-14', openaiModel: 'gpt-4.1', kind: 'chat', dated: true },
  { model: 'gpt-4.1-mini', version: '2025-04-14', openaiModel: 'gpt-4.1-mini', kind: 'chat', dated: true },
  { model: 'gpt-4.1-nano', version: '2025-04-14', openaiModel: 'gpt-4.1-nano', kind: 'chat', dated: true },
  { model: 'o3-mini', version: '2025-01-31', openaiModel: 'o3-mini', kind: 'chat', dated: true, reasoning: true },
  { model: 'o4-mini', version: '2025-04-16', openaiModel: 'o4-mini', kind: 'chat', dated: true, reasoning: true },
  { model: 'gpt-5-mini', version: '2025-08-07', openaiModel: 'gpt-5-mini', kind: 'chat', dated: true, reasoning: true },
  { model: 'gpt-5', version: '2025-08-07', openaiModel: 'gpt-5', kind: 'chat', dated: true, reasoning: true },
  { model: 'gpt-35-turbo-instruct', version: '0914', openaiModel: 'gpt-3.5-turbo-instruct', kind: 'completions', dated: false },
  { model: 'text-embedding-3-small', version: '1', openaiModel: 'text-embedding-3-small', kind: 'embeddings', dated: false },
  { model: 'text-embedding-3-large', version: '1', openaiModel: 'text-embedding-3-large', kind: 'embeddings', dated: false },
  { model: 'text-embedding-ada-002', version: '2', openaiModel: 'text-embedding-ada-002', kind: 'embeddings', dated: false },
  { model: 'dall-e-3', version: '3.0', openaiModel: 'dall-e-3', kind: 'images', dated: false },
];
const CATALOGUE: ReadonlyMap<string, CatalogueEntry> = new Map(AZURE_MODELS.map((m) => [m.model, m]));

const CHAT_PICKS = ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini', 'o4-mini', 'gpt-5-mini'] as const;
const EMBED_PICKS = ['text-embedding-3-small', 'text-embedding-3-large', 'text-embedding-ada-002'] as const;
// resource names as people and Azure AI Foundry write them
const WORDS = ['acme', 'contoso', 'northwind', 'fabrikam', 'tailspin', 'litware', 'adatum', 'proseware', 'wingtip', 'woodgrove'] as const;
const SUFFIXES = ['openai', 'aoai', 'ai', 'oai', 'genai', 'llm'] as const;
const ENVS = ['prod', 'dev', 'eus2', 'shared', '001', 'app'] as const;

const DAY = 86_400;

function entryFor(spec: string): CatalogueEntry {
  const at = spec.indexOf('@');
  const model = at < 0 ? spec : spec.slice(0, at);
  const version = at < 0 ? undefined : spec.slice(at + 1);
  const known = CATALOGUE.get(model);
  if (known) return version === undefined ? known : { ...known, version };
  // an unknown model name: answered as a chat model under its own name
  return { model, version: version ?? '1', openaiModel: model, kind: model.includes('embedding') ? 'embeddings' : 'chat', dated: false };
}

function sessionId(seconds: number, hex: string): string {
  const d = new Date(seconds * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `d${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}-${hex}`;
}

/**
 * The persona of the lure key with sha256 `hashHex`. `now` (unix seconds) places the model
 * sessions: a session starts a few days before and rolls over weekly, as deployments are updated.
 */
export function azurePersona(hashHex: string, options: AzurePersonaOptions = {}, now = Math.floor(Date.now() / 1000)): AzurePersona {
  const rRegion = seededRandom(hashHex, 'azure.region');
  const region =
    (options.region !== undefined ? azureRegion(options.region) : undefined) ??
    (options.key !== undefined ? regionOfKey(options.key) : undefined) ??
    rRegion.pick(AZURE_REGIONS);
  const rName = seededRandom(hashHex, 'azure.resource');
  const resource =
    options.resource ??
    (rName.next() < 0.5
      ? `${rName.pick(WORDS)}-${rName.pick(SUFFIXES)}-${rName.pick(ENVS)}`
      : `${rName.pick(WORDS)}-m${rName.chars('abcdefghijklmnopqrstuvwxyz0123456789', 7)}-${region.id}`);

  const rDep = seededRandom(hashHex, 'azure.deployments');
  const specs: [string, CatalogueEntry, DeploymentSpec?][] = [];
  if (options.deployments && Object.keys(options.deployments).length > 0) {
    for (const [name, spec] of Object.entries(options.deployments)) {
      if (typeof spec === 'string') specs.push([name, entryFor(spec)]);
      else specs.push([name, entryFor(spec.version !== undefined ? `${spec.model}@${spec.version}` : spec.model), spec]);
    }
  } else {
    const pool: string[] = [...CHAT_PICKS];
    for (let i = pool.length - 1; i > 0; i--) {
      const j = rDep.int(i + 1);
      [pool[i], pool[j]] = [pool[j] as string, pool[i] as string];
    }
    const chats = pool.slice(0, 2 + rDep.int(2));
    // most deployments are named after their model; some teams name them by role
    for (const model of chats) specs.push([rDep.next() < 0.8 ? model : `${model}-${rDep.pick(['prod', 'chat', 'app'])}`, entryFor(model)]);
    const embed = rDep.pick(EMBED_PICKS);
    specs.push([embed, entryFor(embed)]);
  }
  const week = Math.floor(now / (7 * DAY));
  const deployments = specs.map(([name, e, pinned]): AzureDeployment => {
    const r = seededRandom(hashHex, `azure.deployment.${name}`);
    const sessionStart = (week * 7 - 1 - r.int(3)) * DAY + r.int(DAY);
    const drawn = e.kind === 'embeddings' ? r.pick([120, 240, 350]) : e.reasoning ? r.pick([50, 100, 150]) : r.pick([50, 100, 120, 150, 250]);
    const capacity = pinned?.capacity ?? drawn;
    const sku = r.next() < 0.75 ? 'GlobalStandard' : 'Standard';
    return {
      name,
      model: e.model,
      version: e.version,
      openaiModel: e.openaiModel,
      reported: e.dated ? `${e.openaiModel}-${e.version}` : e.openaiModel === 'gpt-3.5-turbo-instruct' ? e.model : e.openaiModel,
      kind: e.kind,
      sku: pinned?.sku ?? sku,
      capacity,
      modelSession: sessionId(sessionStart, r.chars('0123456789abcdef', 12)),
      created: now - (30 + r.int(400)) * DAY,
      reasoning: e.reasoning === true,
    };
  });
  const byName = new Map(deployments.map((d) => [d.name, d]));
  return { resource, region, deployments, deployment: (name) => byName.get(name) };
}

/** Azure's rate-limit headers for a deployment after `used` requests and tokens in this minute. */
export function azureRateLimitValues(d: AzureDeployment, used: { readonly requests: number; readonly tokens: number; readonly resetMs: number }): {
  readonly limitRequests: number;
  readonly limitTokens: number;
  readonly remainingRequests: number;
  readonly remainingTokens: number;
  readonly resetRequests: number;
  readonly resetTokens: number;
} {
  const limitRequests = d.capacity;
  const limitTokens = d.capacity * 1000;
  const requests = Math.max(0, Math.min(Math.floor(used.requests), limitRequests));
  const tokens = Math.max(0, Math.min(Math.floor(used.tokens), limitTokens));
  const reset = Number.isFinite(used.resetMs) && used.resetMs > 0 ? Math.ceil(used.resetMs) : 60_000;
  return {
    limitRequests,
    limitTokens,
    remainingRequests: limitRequests - requests,
    remainingTokens: limitTokens - tokens,
    // whole milliseconds until what was used refills [REC 2026-03: one request of 120/min → 500,
    // 14 tokens of 120 000/min → 7], capped by the window's own reset
    resetRequests: Math.min(reset, Math.round((requests * 60_000) / limitRequests)),
    resetTokens: Math.min(reset, Math.round((tokens * 60_000) / limitTokens)),
  };
}
