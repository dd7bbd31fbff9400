/**
 * The Bedrock model catalog and model-id grammar: which ids exist, their
 * native body family, which inference-profile geographies carry them, whether on-demand
 * throughput is allowed, and what ListFoundationModels shows. The decoy answers only for ids in
 * this catalog: any other id gets `The provided model identifier is invalid.`, as the real service
 * does (fidelity recording br-converse-400-model).
 *
 * Ids are the public Bedrock model ids (AWS Bedrock User Guide, "Supported foundation models").
 */

export type ModelFamily =
  | 'anthropic'
  | 'titan-text'
  | 'titan-embed'
  | 'nova'
  | 'llama'
  | 'mistral'
  | 'mistral-chat'
  | 'cohere-command'
  | 'cohere-command-r'
  | 'cohere-embed'
  | 'ai21-j2'
  | 'ai21-jamba'
  | 'unknown';

export type ProfileGeo = 'us' | 'eu' | 'apac' | 'global';
export const PROFILE_GEOS: readonly ProfileGeo[] = ['us', 'eu', 'apac', 'global'];

export interface CatalogModel {
  readonly id: string;
  readonly name: string;
  readonly provider: string;
  readonly family: ModelFamily;
  /** on-demand throughput with the bare id is allowed (newer models need an inference profile) */
  readonly onDemand: boolean;
  readonly profiles: readonly ProfileGeo[];
  readonly streaming: boolean;
  readonly converse: boolean;
  readonly maxOutputTokens: number;
  readonly input: readonly ('TEXT' | 'IMAGE')[];
  readonly output: readonly ('TEXT' | 'EMBEDDING')[];
  readonly lifecycle: 'ACTIVE' | 'LEGACY';
  /** embedding width for embedding models */
  readonly dimensions?: number;
}

interface Spec {
  id: string;
  name: string;
  family: ModelFamily;
  onDemand?: boolean;
  profiles?: ProfileGeo[];
  streaming?: boolean;
  converse?: boolean;
  max?: number;
  image?: boolean;
  legacy?: boolean;
  dimensions?: number;
}

const PROVIDER: Record<string, string> = {
  anthropic: 'Anthropic',
  amazon: 'Amazon',
  meta: 'Meta',
  mistral: 'Mistral AI',
  cohere: 'Cohere',
  ai21: 'AI21 Labs',
};

const SPECS: Spec[] = [
  // Anthropic
  { id: 'anthropic.claude-instant-v1', name: 'Claude Instant', family: 'anthropic', legacy: true, max: 4096 },
  { id: 'anthropic.claude-v2', name: 'Claude', family: 'anthropic', legacy: true, max: 4096 },
  { id: 'anthropic.claude-v2:1', name: 'Claude', family: 'anthropic', legacy: true, max: 4096 },
  { id: 'anthropic.claude-3-haiku-20240307-v1:0', name: 'Claude 3 Haiku', family: 'anthropic', profiles: ['us', 'eu', 'apac'], max: 4096, image: true },
  { id: 'anthropic.claude-3-sonnet-20240229-v1:0', name: 'Claude 3 Sonnet', family: 'anthropic', profiles: ['us', 'eu', 'apac'], max: 4096, image: true, legacy: true },
  { id: 'anthropic.claude-3-opus-20240229-v1:0', name: 'Claude 3 Opus', family: 'anthropic', profiles: ['us'], max: 4096, image: true, legacy: true },
  { id: 'anthropic.claude-3-5-sonnet-20240620-v1:0', name: 'Claude 3.5 Sonnet', family: 'anthropic', profiles: ['us', 'eu', 'apac'], max: 8192, image: true, legacy: true },
  { id: 'anthropic.claude-3-5-sonnet-20241022-v2:0', name: 'Claude 3.5 Sonnet v2', family: 'anthropic', profiles: ['us', 'apac'], max: 8192, image: true },
  { id: 'anthropic.claude-3-5-haiku-20241022-v1:0', name: 'Claude 3.5 Haiku', family: 'anthropic', profiles: ['us'], max: 8192 },
  { id: 'anthropic.claude-3-7-sonnet-20250219-v1:0', name: 'Claude 3.7 Sonnet', family: 'anthropic', onDemand: false, profiles: ['us', 'eu', 'apac'], max: 64000, image: true },
  { id: 'anthropic.claude-sonnet-4-20250514-v1:0', name: 'Claude Sonnet 4', family: 'anthropic', onDemand: false, profiles: ['us', 'eu', 'apac', 'global'], max: 64000, image: true },
  { id: 'anthropic.claude-opus-4-20250514-v1:0', name: 'Claude Opus 4', family: 'anthropic', onDemand: false, profiles: ['us'], max: 32000, image: true },
  { id: 'anthropic.claude-opus-4-1-20250805-v1:0', name: 'Claude Opus 4.1', family: 'anthropic', onDemand: false, profiles: ['us'], max: 32000, image: true },
  { id: 'anthropic.claude-sonnet-4-5-20250929-v1:0', name: 'Claude Sonnet 4.5', family: 'anthropic', onDemand: false, profiles: ['us', 'eu', 'apac', 'global'], max: 64000, image: true },
  { id: 'anthropic.claude-haiku-4-5-20251001-v1:0', name: 'Claude Haiku 4.5', family: 'anthropic', onDemand: false, profiles: ['us', 'eu', 'apac', 'global'], max: 64000, image: true },
  { id: 'anthropic.claude-opus-4-5-20251101-v1:0', name: 'Claude Opus 4.5', family: 'anthropic', onDemand: false, profiles: ['us', 'eu', 'global'], max: 64000, image: true },
  { id: 'anthropic.claude-sonnet-4-6', name: 'Claude Sonnet 4.6', family: 'anthropic', onDemand: false, profiles: ['us', 'eu', 'apac', 'global'], max: 64000, image: true },
  // Amazon
  { id: 'amazon.titan-tg1-large', name: 'Titan Text Large', family: 'titan-text', max: 8192, converse: false },
  { id: 'amazon.titan-text-express-v1', name: 'Titan Text G1 - Express', family: 'titan-text', max: 8192 },
  { id: 'amazon.titan-text-lite-v1', name: 'Titan Text G1 - Lite', family: 'titan-text', max: 4096 },
  { id: 'amazon.titan-text-premier-v1:0', name: 'Titan Text G1 - Premier', family: 'titan-text', max: 3072 },
  { id: 'amazon.titan-embed-text-v1', name: 'Titan Embeddings G1 - Text', family: 'titan-embed', streaming: false, converse: false, max: 0, dimensions: 1536 },
  { id: 'amazon.titan-embed-g1-text-02', name: 'Titan Text Embeddings v2', family: 'titan-embed', streaming: false, converse: false, max: 0, dimensions: 1536 },
  { id: 'amazon.titan-embed-text-v2:0', name: 'Titan Text Embeddings V2', family: 'titan-embed', streaming: false, converse: false, max: 0, dimensions: 1024 },
  { id: 'amazon.nova-micro-v1:0', name: 'Nova Micro', family: 'nova', profiles: ['us', 'eu', 'apac'], max: 10000 },
  { id: 'amazon.nova-lite-v1:0', name: 'Nova Lite', family: 'nova', profiles: ['us', 'eu', 'apac'], max: 10000, image: true },
  { id: 'amazon.nova-pro-v1:0', name: 'Nova Pro', family: 'nova', profiles: ['us', 'eu', 'apac'], max: 10000, image: true },
  { id: 'amazon.nova-premier-v1:0', name: 'Nova Premier', family: 'nova', onDemand: false, profiles: ['us'], max: 32000, image: true },
  { id: 'amazon.nova-2-lite-v1:0', name: 'Nova 2 Lite', family: 'nova', onDemand: false, profiles: ['us', 'eu', 'apac', 'global'], max: 65000, image: true },
  // Meta
  { id: 'meta.llama3-8b-instruct-v1:0', name: 'Llama 3 8B Instruct', family: 'llama', max: 2048 },
  { id: 'meta.llama3-70b-instruct-v1:0', name: 'Llama 3 70B Instruct', family: 'llama', max: 2048 },
  { id: 'meta.llama3-1-8b-instruct-v1:0', name: 'Llama 3.1 8B Instruct', family: 'llama', profiles: ['us'], max: 2048 },
  { id: 'meta.llama3-1-70b-instruct-v1:0', name: 'Llama 3.1 70B Instruct', family: 'llama', profiles: ['us'], max: 2048 },
  { id: 'meta.llama3-1-405b-instruct-v1:0', name: 'Llama 3.1 405B Instruct', family: 'llama', max: 4096 },
  { id: 'meta.llama3-2-1b-instruct-v1:0', name: 'Llama 3.2 1B Instruct', family: 'llama', onDemand: true, profiles: ['us', 'eu'], max: 2048 },
  { id: 'meta.llama3-2-3b-instruct-v1:0', name: 'Llama 3.2 3B Instruct', family: 'llama', onDemand: true, profiles: ['us', 'eu'], max: 2048 },
  { id: 'meta.llama3-2-11b-instruct-v1:0', name: 'Llama 3.2 11B Instruct', family: 'llama', onDemand: false, profiles: ['us'], max: 2048, image: true },
  { id: 'meta.llama3-2-90b-instruct-v1:0', name: 'Llama 3.2 90B Instruct', family: 'llama', onDemand: false, profiles: ['us'], max: 2048, image: true },
  { id: 'meta.llama3-3-70b-instruct-v1:0', name: 'Llama 3.3 70B Instruct', family: 'llama', onDemand: false, profiles: ['us'], max: 8192 },
  { id: 'meta.llama4-scout-17b-instruct-v1:0', name: 'Llama 4 Scout 17B Instruct', family: 'llama', onDemand: false, profiles: ['us'], max: 8192, image: true },
  { id: 'meta.llama4-maverick-17b-instruct-v1:0', name: 'Llama 4 Maverick 17B Instruct', family: 'llama', onDemand: false, profiles: ['us'], max: 8192, image: true },
  // Mistral
  { id: 'mistral.mistral-7b-instruct-v0:2', name: 'Mistral 7B Instruct', family: 'mistral', max: 8192 },
  { id: 'mistral.mixtral-8x7b-instruct-v0:1', name: 'Mixtral 8x7B Instruct', family: 'mistral', max: 4096 },
  { id: 'mistral.mistral-small-2402-v1:0', name: 'Mistral Small (24.02)', family: 'mistral', max: 8192 },
  { id: 'mistral.mistral-large-2402-v1:0', name: 'Mistral Large (24.02)', family: 'mistral', max: 8192 },
  { id: 'mistral.mistral-large-2407-v1:0', name: 'Mistral Large (24.07)', family: 'mistral-chat', max: 8192 },
  { id: 'mistral.pixtral-large-2502-v1:0', name: 'Pixtral Large (25.02)', family: 'mistral-chat', onDemand: false, profiles: ['us', 'eu'], max: 8192, image: true },
  // Cohere
  { id: 'cohere.command-text-v14', name: 'Command', family: 'cohere-command', max: 4096, legacy: true },
  { id: 'cohere.command-light-text-v14', name: 'Command Light', family: 'cohere-command', max: 4096, legacy: true },
  { id: 'cohere.command-r-v1:0', name: 'Command R', family: 'cohere-command-r', max: 4000 },
  { id: 'cohere.command-r-plus-v1:0', name: 'Command R+', family: 'cohere-command-r', max: 4000 },
  { id: 'cohere.embed-english-v3', name: 'Embed English', family: 'cohere-embed', streaming: false, converse: false, max: 0, dimensions: 1024 },
  { id: 'cohere.embed-multilingual-v3', name: 'Embed Multilingual', family: 'cohere-embed', streaming: false, converse: false, max: 0, dimensions: 1024 },
  // AI21
  { id: 'ai21.j2-mid-v1', name: 'Jurassic-2 Mid', family: 'ai21-j2', streaming: false, max: 8191, legacy: true },
  { id: 'ai21.j2-ultra-v1', name: 'Jurassic-2 Ultra', family: 'ai21-j2', streaming: false, max: 8191, legacy: true },
  { id: 'ai21.jamba-instruct-v1:0', name: 'Jamba-Instruct', family: 'ai21-jamba', max: 4096, legacy: true },
  { id: 'ai21.jamba-1-5-large-v1:0', name: 'Jamba 1.5 Large', family: 'ai21-jamba', max: 4096 },
  { id: 'ai21.jamba-1-5-mini-v1:0', name: 'Jamba 1.5 Mini', family: 'ai21-jamba', max: 4096 },
];

function build(spec: Spec): CatalogModel {
  const embed = spec.family === 'titan-embed' || spec.family === 'cohere-embed';
  const base: CatalogModel = {
    id: spec.id,
    name: spec.name,
    provider: PROVIDER[spec.id.slice(0, spec.id.indexOf('.'))] ?? 'Amazon',
    family: spec.family,
    onDemand: spec.onDemand ?? true,
    profiles: spec.profiles ?? [],
    streaming: spec.streaming ?? !embed,
    converse: spec.converse ?? !embed,
    maxOutputTokens: spec.max ?? 4096,
    input: spec.image === true ? ['TEXT', 'IMAGE'] : ['TEXT'],
    output: embed ? ['EMBEDDING'] : ['TEXT'],
    lifecycle: spec.legacy === true ? 'LEGACY' : 'ACTIVE',
  };
  return spec.dimensions === undefined ? base : { ...base, dimensions: spec.dimensions };
}

export const CATALOG: readonly CatalogModel[] = SPECS.map(build);
const BY_ID = new Map(CATALOG.map((m) => [m.id, m]));

export function catalogModel(id: string): CatalogModel | undefined {
  return BY_ID.get(id);
}

/**
 * The body family of a foundation-model id (no profile prefix), by its provider prefix and name.
 * Works for ids not in the catalog too, so forwarded requests get the right lure injection.
 */
export function detectFamily(baseModelId: string): ModelFamily {
  const known = BY_ID.get(baseModelId);
  if (known) return known.family;
  const id = baseModelId.toLowerCase();
  if (id.startsWith('anthropic.')) return 'anthropic';
  if (id.startsWith('amazon.titan-embed')) return 'titan-embed';
  if (id.startsWith('amazon.titan-text') || id.startsWith('amazon.titan-tg1')) return 'titan-text';
  if (id.startsWith('amazon.nova-')) return 'nova';
  if (id.startsWith('meta.llama')) return 'llama';
  if (id.startsWith('mistral.')) {
    // Mistral Large 24.07+ and Pixtral take the chat form; the 24.02 models and 7B/Mixtral the prompt form
    return /mistral-large-(?!2402)|pixtral|ministral|magistral|devstral/.test(id) ? 'mistral-chat' : 'mistral';
  }
  if (id.startsWith('cohere.embed')) return 'cohere-embed';
  if (id.startsWith('cohere.command-r')) return 'cohere-command-r';
  if (id.startsWith('cohere.command')) return 'cohere-command';
  if (id.startsWith('ai21.j2')) return 'ai21-j2';
  if (id.startsWith('ai21.jamba')) return 'ai21-jamba';
  return 'unknown';
}

/** Regions where Bedrock Runtime has an endpoint (SigV4 scopes naming another region are refused). */
export const BEDROCK_REGIONS: ReadonlySet<string> = new Set([
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'us-gov-east-1', 'us-gov-west-1',
  'ca-central-1', 'ca-west-1', 'mx-central-1', 'sa-east-1',
  'eu-central-1', 'eu-central-2', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-north-1', 'eu-south-1', 'eu-south-2',
  'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-south-2',
  'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-7',
  'ap-east-2', 'il-central-1', 'me-central-1', 'me-south-1', 'af-south-1',
]);

/** Which profile geography serves a region (`global` serves every region). */
export function geoOfRegion(region: string): ProfileGeo | null {
  if (region.startsWith('us-gov-')) return null;
  if (region.startsWith('us-') || region.startsWith('ca-') || region.startsWith('mx-')) return 'us';
  if (region.startsWith('eu-') || region.startsWith('il-')) return 'eu';
  if (region.startsWith('ap-')) return 'apac';
  return null;
}

/** The Anthropic `model` field of a response: `anthropic.claude-haiku-4-5-20251001-v1:0` → `claude-haiku-4-5-20251001`. */
export function anthropicModelName(baseModelId: string): string {
  return baseModelId.replace(/^anthropic\./, '').replace(/-v\d+(:\d+)?$/, '').replace(/:\d+$/, '');
}
