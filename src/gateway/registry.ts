/**
 * The provider registry: the one file that names every provider. Its order decides matching — the
 * first provider whose `match` takes a request serves it: tool routes (configured prefixes) first,
 * then Gemini (`/v1beta/*`, and the `/v1/*` requests that carry Google's signals), then Anthropic
 * (`/v1/messages*`, and `/v1/models*` / `/v1/files*` when the request speaks Anthropic), then OpenAI's
 * `/v1/*`, then Azure OpenAI (`/openai/*` and Azure resource hosts, when on), then
 * Bedrock (`/model/*` and the AWS probe endpoints, when on). A provider
 * that must own part of another's space (a `/v1/messages` protocol) goes before it.
 *
 * OpenAI is also the default voice: a URL no provider takes gets its unknown-URL answer, as
 * api.openai.com answers them (and so does a canary link `/c/<token>`).
 */
import { configParts, type ProviderConfigPart } from '../config/part.js';
import type { Provider } from '../core/provider.js';
import { azureProvider } from '../providers/azure/provider.js';
import { anthropicProvider } from '../providers/anthropic/provider.js';
import { bedrockProvider } from '../providers/bedrock/provider.js';
import { geminiProvider } from '../providers/gemini/provider.js';
import { openaiProvider } from '../providers/openai/provider.js';
import { toolProvider } from '../providers/tool/provider.js';
// The config parts' `Config` typings (their `declare module` blocks) for programs that import honeygate's
// declaration files: a side-effect import keeps them in this module's .d.ts, which index.ts imports.
import '../providers/anthropic/config-part.js';
import '../providers/azure/config-part.js';
import '../providers/bedrock/config-part.js';
import '../providers/gemini/config-part.js';
import '../providers/tool/config-part.js';

export const PROVIDERS: readonly Provider[] = [toolProvider, geminiProvider, anthropicProvider, openaiProvider, azureProvider, bedrockProvider];

/** The provider whose answers a request outside every provider gets. */
export const DEFAULT_PROVIDER = openaiProvider;

/** The names events, metrics and the admin API's `surface` filter know. */
export const PROVIDER_NAMES: readonly string[] = PROVIDERS.map((p) => p.name);

/** Every provider's part of the configuration file, in registry order (the loader builds the schema from them). */
export const CONFIG_PARTS: readonly ProviderConfigPart[] = configParts(PROVIDERS);
