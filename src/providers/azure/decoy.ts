/**
 * The Azure OpenAI decoy: what a lure key's resource answers. The deployment is looked up in the
 * persona (unknown → DeploymentNotFound), the operation checked against the deployment's model
 * (OperationNotSupported), then the request goes to the OpenAI decoy and OpenAI's validation with
 * the deployment's model in `model`, and comes back through the adapter in Azure's head and body.
 * Listings, images and the v1 model list are answered here.
 */
import { randomUUID } from 'node:crypto';
import type { DecoyAccount, Json } from '../openai/decoy-shared.js';
import { serveOpenAIDecoy } from '../openai/decoy.js';
import { paceJson } from '../../deception/decoy/pacing.js';
import { validateOpenAIRequest, type ValidatedEndpoint } from '../openai/validate.js';
import type { OpenAIPersona } from '../../deception/persona.js';
import type { HttpResponse } from '../../core/http.js';
import { ALNUM, randomChars } from '../../util/random.js';
import { AzureDecoyResponse } from './adapter.js';
import { AZURE_MODELS, azureRateLimitValues, type AzureDeployment, type AzurePersona } from './persona.js';
import { versionAtLeast, type AzureOperation, type AzureRoute } from './protocol.js';
import type { AzureModelHeaders } from './headers.js';
import { writeAzureError, writeAzureJson, writeAzureServiceJson } from './render.js';
import { azureJsonBody, azureModelErrorBody, compactJson, completionFilterResults } from './translate.js';

export interface AzureDecoyInput {
  readonly route: Extract<AzureRoute, { kind: 'deployment' | 'v1' | 'deployments.list' | 'models.list' }>;
  readonly method: string;
  readonly persona: AzurePersona;
  /** the OpenAI persona of the same key: model catalogue, fingerprints, timing, validation */
  readonly openai: OpenAIPersona;
  readonly body: Json | undefined;
  /** usage in this window after this request (rate-limit headers) */
  readonly usage?: { readonly requests: number; readonly tokens: number; readonly resetMs: number } | undefined;
  readonly reply: string;
  readonly head: boolean;
  readonly pace: boolean;
  /** told the answer's usage as soon as it is written (before the response closes and its event is built) */
  readonly onUsage?: (promptTokens: number, completionTokens: number) => void;
}

export interface AzureDecoyResult {
  readonly status: number;
  /** the deployment's reported model, when a deployment answered */
  readonly model?: string;
  readonly deployment?: string;
}

/** What each operation is called in Azure's OperationNotSupported message. */
const OPERATION_WORD: Readonly<Record<AzureOperation, string>> = {
  'chat.completions': 'chatCompletion',
  completions: 'completion',
  embeddings: 'embeddings',
  'images.generations': 'imageGeneration',
  responses: 'responses',
  'models.list': 'models',
};
const ACCEPTS: Readonly<Record<AzureOperation, AzureDeployment['kind'] | null>> = {
  'chat.completions': 'chat',
  completions: 'completions',
  embeddings: 'embeddings',
  'images.generations': 'images',
  responses: 'chat',
  'models.list': null,
};

export function modelHeaders(persona: AzurePersona, d: AzureDeployment, usage: AzureDecoyInput['usage'], operation: AzureOperation): AzureModelHeaders {
  const rl = azureRateLimitValues(d, usage ?? { requests: 1, tokens: 0, resetMs: 0 });
  return { region: persona.region.display, deployment: d.name, modelSession: d.modelSession, ...rl, rai: operation !== 'embeddings' };
}

function operationNotSupported(res: HttpResponse, input: AzureDecoyInput, d: AzureDeployment, op: AzureOperation): AzureDecoyResult {
  const body = compactJson({
    error: {
      code: 'OperationNotSupported',
      message: `The ${OPERATION_WORD[op]} operation does not work with the specified model, ${d.model}. Please choose different model and try again. You can learn more about which models can be used with each operation here: https://go.microsoft.com/fwlink/?linkid=2197993.`,
    },
  });
  writeAzureServiceJson(res, 400, body, input.persona.region.display, input.head);
  return { status: 400, deployment: d.name };
}

function listDeployments(res: HttpResponse, input: AzureDecoyInput): AzureDecoyResult {
  const data = input.persona.deployments.map((d) => ({
    scale_settings: { scale_type: 'standard' },
    model: d.model,
    owner: 'organization-owner',
    id: d.name,
    status: 'succeeded',
    created_at: d.created,
    updated_at: d.created,
    object: 'deployment',
  }));
  writeAzureServiceJson(res, 200, compactJson({ data, object: 'list' }), input.persona.region.display, input.head);
  return { status: 200 };
}

function modelId(m: (typeof AZURE_MODELS)[number]): string {
  return m.kind === 'chat' ? `${m.model}-${m.version}` : m.kind === 'embeddings' ? m.model : `${m.model}-${m.version}`;
}

function listModels(res: HttpResponse, input: AzureDecoyInput): AzureDecoyResult {
  const created = 1_700_000_000;
  const data = AZURE_MODELS.map((m) => ({
    status: 'succeeded',
    capabilities: {
      fine_tune: false,
      inference: true,
      completion: m.kind === 'completions',
      chat_completion: m.kind === 'chat',
      embeddings: m.kind === 'embeddings',
    },
    lifecycle_status: 'generally-available',
    deprecation: { inference: created + 63_072_000 },
    id: modelId(m),
    created_at: created,
    updated_at: created,
    object: 'model',
  }));
  writeAzureServiceJson(res, 200, compactJson({ data, object: 'list' }), input.persona.region.display, input.head);
  return { status: 200 };
}

/** `GET /openai/v1/models`: the resource's deployable models, in OpenAI's list shape [INF]. */
function listV1Models(res: HttpResponse, input: AzureDecoyInput): AzureDecoyResult {
  const data = input.persona.deployments.map((d) => ({ id: d.model, object: 'model', created: d.created, owned_by: 'system' }));
  writeAzureServiceJson(res, 200, compactJson({ object: 'list', data }), input.persona.region.display, input.head);
  return { status: 200 };
}

/** A DALL·E answer: the URL of a blob in Azure's result store, with the filter verdicts [OBS shape]. */
async function serveImages(res: HttpResponse, input: AzureDecoyInput, d: AzureDeployment, headers: AzureModelHeaders): Promise<AzureDecoyResult> {
  const body = input.body ?? {};
  const prompt = typeof body['prompt'] === 'string' ? body['prompt'] : '';
  if (prompt === '') {
    const err = azureModelErrorBody({ error: { code: 'invalid_request_error', message: "Missing required parameter: 'prompt'.", param: 'prompt', type: 'invalid_request_error' } });
    writeAzureJson(res, 400, err, headers, input.head);
    return { status: 400, deployment: d.name, model: d.reported };
  }
  await paceJson(input.pace, 8_000 + Math.floor(Math.random() * 6_000));
  const now = new Date();
  const expiry = new Date(now.getTime() + 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const start = new Date(now.getTime() - 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const url =
    `https://dalleprodsec.blob.core.windows.net/private/images/${randomUUID()}/generated_00.png` +
    `?se=${encodeURIComponent(expiry)}&sig=${encodeURIComponent(randomChars(ALNUM, 43) + '=')}&ske=${encodeURIComponent(expiry)}` +
    `&skoid=${randomUUID()}&sks=b&skt=${encodeURIComponent(start)}&sktid=33e01921-4d64-4f8c-a055-5bdaffd5e33d&skv=2020-10-02&sp=r&spr=https&sr=b&sv=2020-10-02`;
  const promptFilter: Json = { ...completionFilterResults(), jailbreak: { detected: false, filtered: false }, profanity: { detected: false, filtered: false } };
  delete promptFilter['protected_material_code'];
  delete promptFilter['protected_material_text'];
  const out = {
    created: Math.floor(now.getTime() / 1000),
    data: [{ content_filter_results: completionFilterResults(), prompt_filter_results: promptFilter, revised_prompt: input.reply, url }],
  };
  // sorted like every answer that passed the content filter
  writeAzureJson(res, 200, azureJsonBody(out), headers, input.head);
  return { status: 200, deployment: d.name, model: d.reported };
}

/**
 * The prompt shield's jailbreak detector, approximated: the classic instruction-override and
 * role-play jailbreaks that Azure's default filter refuses (it is on for every deployment unless
 * the customer was approved to turn it off). Compiled once; only the first 16 KB of text is read.
 */
const JAILBREAK = /\b(?:ignore (?:all |any )?(?:the )?(?:previous|prior|above) (?:instructions|rules)|do anything now|DAN mode|developer mode enabled|jailbreak(?:ed)? mode|you are no longer bound by)\b/i;

function promptOf(body: Json | undefined): string {
  if (!body) return '';
  const parts: string[] = [];
  const messages = body['messages'];
  if (Array.isArray(messages)) {
    for (const m of messages.slice(0, 64)) {
      const content = m !== null && typeof m === 'object' ? (m as Json)['content'] : undefined;
      if (typeof content === 'string') parts.push(content);
      else if (Array.isArray(content)) for (const p of content.slice(0, 32)) if (p !== null && typeof p === 'object' && typeof (p as Json)['text'] === 'string') parts.push((p as Json)['text'] as string);
    }
  }
  for (const key of ['prompt', 'input']) if (typeof body[key] === 'string') parts.push(body[key] as string);
  return parts.join('\n').slice(0, 16_384);
}

/** Answer one request of a lure key. */
export async function serveAzureDecoy(input: AzureDecoyInput, res: HttpResponse): Promise<AzureDecoyResult> {
  const { route, persona } = input;
  if (route.kind === 'deployments.list') return listDeployments(res, input);
  if (route.kind === 'models.list') return listModels(res, input);
  if (route.kind === 'v1' && route.operation === 'models.list') return listV1Models(res, input);
  const operation = route.operation;
  // the classic data plane names the deployment in the path; the v1 API in the body's model
  const name = route.kind === 'deployment' ? route.deployment : typeof input.body?.['model'] === 'string' ? input.body['model'] : '';
  const d = persona.deployment(name);
  if (!d) {
    writeAzureError(res, 'deployment_not_found', [], { region: persona.region.display, head: input.head });
    return { status: 404 };
  }
  if (ACCEPTS[operation] !== d.kind) return operationNotSupported(res, input, d, operation);
  if (route.kind === 'deployment' && d.reasoning && !versionAtLeast(route.apiVersion, '2024-12-01')) {
    writeAzureError(res, 'model_needs_newer_version', [], { region: persona.region.display, head: input.head });
    return { status: 400, deployment: d.name };
  }
  const headers = modelHeaders(persona, d, input.usage, operation);
  if (operation !== 'embeddings' && JAILBREAK.test(promptOf(input.body))) {
    writeAzureError(res, 'content_filter', [], { model: headers, head: input.head });
    return { status: 400, deployment: d.name, model: d.reported };
  }
  if (operation === 'images.generations') return serveImages(res, input, d, headers);

  // OpenAI's own checks, with the deployment's model where the client wrote a deployment name
  const body: Json = { ...(input.body ?? {}), model: d.openaiModel };
  const endpoint = operation as ValidatedEndpoint;
  const invalid = input.method === 'POST' ? validateOpenAIRequest(endpoint, body, input.openai) : null;
  if (invalid) {
    writeAzureJson(res, invalid.status, azureModelErrorBody({ error: invalid.error }), headers, input.head);
    return { status: invalid.status, deployment: d.name, model: d.reported };
  }
  const adapter = new AzureDecoyResponse(res, { operation, reported: d.reported, headers, head: input.head });
  const account: DecoyAccount = input.openai;
  const done = new Promise<void>((resolve) => {
    adapter.once('finish', resolve);
    adapter.once('close', resolve);
  });
  const result = await serveOpenAIDecoy(
    { endpoint, method: input.method, path: `/v1/${operation.replace('.', '/')}`, body, account, headers: { organization: '', project: '' }, reply: input.reply, head: input.head, pace: input.pace },
    adapter,
  );
  if (result.promptTokens > 0 || result.completionTokens > 0) input.onUsage?.(result.promptTokens, result.completionTokens);
  await done;
  return { status: result.status, deployment: d.name, model: d.reported };
}
