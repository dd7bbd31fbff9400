/**
 * Answers to what key checkers probe (issue 3): the account endpoints
 * trufflehog's detector and analyzer call (`/v1/me`, `/v1/organizations`, the scope probe set of
 * `pkg/analyzer/analyzers/openai/scopes.go`), the legacy billing and usage endpoints that older
 * "check my key's balance" scripts call, and `/v1/models`. A checker must get from a lure key exactly
 * what a normal paid project key gets from api.openai.com today.
 *
 * Evidence, per answer (tags as in the wire spec):
 * - `/v1/me` 200: the field set trufflehog parses [SRC]; values from the persona; the nested
 *   project object's fields and the org `settings` values are [INF].
 * - `/v1/organizations` → 403 for a non-admin key: trufflehog's analyzer treats 200 as an admin
 *   key and 403 as normal [SRC]. The body is the scope refusal a project key gets on the admin API
 *   (`Missing scopes: api.management.read`, 403, `error` as a bare string, verified live by a third
 *   party in 2026) [OBS, single source; that this path answers the same is INF].
 * - `/v1/organization/*` (the Admin API) → the same 403; usage and costs name `api.usage.read` [OBS].
 * - billing (`/v1/dashboard/billing/subscription|credit_grants|usage`, also without `/v1`) → 403
 *   "Your request to GET <path> must be made with a session key …", type `server_error` [OBS 2023
 *   through 2026-05, many reports; the 403 status from a 2023 report; legacy layer is INF].
 * - `/v1/usage` → 200 with empty buckets when `date` is given [OBS 2026-02: an API key gets
 *   `{"object":"list","data":[],…}`], else 400 "Missing query parameter 'date'" [OBS 2023].
 * - trufflehog's scope probes: images {"speed":1} → 400, assistants/threads without `OpenAI-Beta`
 *   → 400 `invalid_beta` [OBS text], fine_tuning/jobs GET → 200 empty list, POST → 400, files GET →
 *   200 list, POST with JSON → 415 "Invalid Content-Type header (…), expected multipart/form-data"
 *   [OBS text]. Which missing parameter a 400 names first is [INF] (missing beats unknown, as
 *   measured on chat).
 */
import { Float } from '../../util/json.js';
import { ALNUM, randomChars, randomHex } from '../../util/random.js';
import type { OpenAIPersona } from '../../deception/persona.js';

export interface ProbeAnswer {
  readonly status: number;
  readonly body: unknown;
  /** JSON formatting of the answer: success bodies are rendered as `current` */
  readonly layer: 'current' | 'legacy';
}

export interface ProbeOptions {
  /** the request's `OpenAI-Beta` header; pass it, or assistants/threads always answer 400 */
  readonly openaiBeta?: string | undefined;
  /**
   * the request's `Content-Type` header; pass it, or a file upload is refused as if it were JSON
   * (the checkers' case: trufflehog posts `application/json`)
   */
  readonly contentType?: string | undefined;
}

type Json = Record<string, unknown>;

const MAX_PATH = 8192;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function error(status: number, message: string, param: string | null, code: string | null, layer: 'current' | 'legacy' = 'current', type = 'invalid_request_error'): ProbeAnswer {
  return { status, body: { error: { message, type, param, code } }, layer };
}

function ok(body: unknown): ProbeAnswer {
  return { status: 200, body, layer: 'current' };
}

function scopeRefusal(scope: string): ProbeAnswer {
  return {
    status: 403,
    body: {
      error: `You have insufficient permissions for this operation. Missing scopes: ${scope}. Check that you have the correct role in your organization, and if you're using a restricted API key, that it has the necessary scopes.`,
    },
    layer: 'current',
  };
}

function project(persona: OpenAIPersona): Json {
  return { object: 'project', id: persona.projectId, title: persona.projectTitle, created: persona.projectCreated, role: 'owner' };
}

function org(persona: OpenAIPersona, which: 'personal' | 'named'): Json {
  const personal = which === 'personal';
  const withProject = personal === persona.personal;
  return {
    object: 'organization',
    id: personal ? persona.personalOrgId : persona.orgId,
    created: personal ? persona.userCreated + 1 : persona.orgCreated,
    title: personal ? 'Personal' : persona.orgTitle,
    name: personal ? persona.personalOrgSlug : persona.orgSlug,
    description: personal ? `Personal org for ${persona.email}` : null,
    personal,
    settings: { threads_ui_visibility: 'NONE', usage_dashboard_visibility: 'ANY_ROLE' },
    parent_org_id: null,
    is_default: withProject,
    role: 'owner',
    projects: { object: 'list', data: withProject ? [project(persona)] : [] },
  };
}

/** The `GET /v1/me` user object, fields in the order trufflehog's struct lists them [SRC]. */
export function meObject(persona: OpenAIPersona): Json {
  const orgs = persona.personal ? [org(persona, 'personal')] : [org(persona, 'named'), org(persona, 'personal')];
  return {
    object: 'user',
    id: persona.userId,
    email: persona.email,
    name: persona.name,
    picture: persona.picture,
    created: persona.userCreated,
    phone_number: null,
    mfa_flag_enabled: persona.mfaEnabled,
    orgs: { object: 'list', data: orgs },
    has_projects_archive: true,
    has_payg_project_spend_limit: true,
    amr: [],
  };
}

function hasBeta(options: ProbeOptions): boolean {
  return typeof options.openaiBeta === 'string' && /(^|[\s,])assistants=v2($|[\s,])/.test(options.openaiBeta);
}

const NO_BETA = "You must provide the 'OpenAI-Beta' header to access the Assistants API. Please try again by setting the header 'OpenAI-Beta: assistants=v2'.";

/**
 * The parameters each image model accepts (the API refuses any other as an unknown parameter,
 * recorded 2026-03 for `quality` on dall-e-2): dall-e-2 the original set, dall-e-3 adds quality and
 * style, the gpt-image models their own set.
 */
const DALLE2_FIELDS: ReadonlySet<string> = new Set(['prompt', 'model', 'n', 'response_format', 'size', 'user']);
const DALLE3_FIELDS: ReadonlySet<string> = new Set([...DALLE2_FIELDS, 'quality', 'style']);
const GPT_IMAGE_FIELDS: ReadonlySet<string> = new Set([
  'prompt', 'model', 'n', 'quality', 'size', 'user', 'background', 'moderation', 'output_compression', 'output_format', 'partial_images', 'stream',
]);

function imageFields(model: string): ReadonlySet<string> {
  if (model.startsWith('dall-e-3')) return DALLE3_FIELDS;
  if (model.startsWith('gpt-image')) return GPT_IMAGE_FIELDS;
  return DALLE2_FIELDS;
}

function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/** An Azure blob SAS URL of the kind DALL·E answers with (valid two hours, under the persona's org and user). */
function imageUrl(persona: OpenAIPersona, now: number): string {
  const iso = (t: number): string => new Date(t * 1000).toISOString().slice(0, 19).replace(/:/g, '%3A') + 'Z';
  const start = now - 3600;
  return `https://oaidalleapiprodscus.blob.core.windows.net/private/${persona.orgId}/${persona.userId}/img-${randomChars(ALNUM, 24)}.png?st=${iso(start)}&se=${iso(start + 7200)}&sp=r&sv=2026-02-06&sr=b&rscd=inline&rsct=image/png&skoid=${uuid()}&sktid=a48cca56-e6da-484e-a814-9c849652bcb3&skt=${iso(start - 21_600)}&ske=${iso(start + 64_800)}&sks=b&skv=2026-02-06&sig=${randomChars(ALNUM, 43)}%3D`;
}

function uuid(): string {
  const h = randomHex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** `POST /v1/images/generations` for a valid request: URLs for DALL·E, base64 for gpt-image. */
function imageGeneration(model: string, json: Json, persona: OpenAIPersona): ProbeAnswer {
  const now = unixNow();
  const requested = typeof json['n'] === 'number' && Number.isInteger(json['n']) ? json['n'] : 1;
  const n = Math.min(Math.max(requested, 1), model.startsWith('dall-e-3') ? 1 : 10);
  const data: Json[] = [];
  for (let i = 0; i < n; i++) {
    if (json['response_format'] === 'b64_json' || model.startsWith('gpt-image')) data.push({ b64_json: TINY_PNG });
    else if (model.startsWith('dall-e-3')) data.push({ revised_prompt: typeof json['prompt'] === 'string' ? json['prompt'] : '', url: imageUrl(persona, now) });
    else data.push({ url: imageUrl(persona, now) });
  }
  return ok({ created: now, data });
}

/** A 1×1 grey PNG: what a thief downloads is an image, not an error page. */
const TINY_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABc3UBGAAAAABJRU5ErkJggg==';

function assistantObject(json: Json): Json {
  const tools = Array.isArray(json['tools']) ? json['tools'] : [];
  const resources: Json = {};
  for (const t of tools) {
    if (isObject(t) && t['type'] === 'code_interpreter') resources['code_interpreter'] = { file_ids: [] };
    if (isObject(t) && t['type'] === 'file_search') resources['file_search'] = { vector_store_ids: [] };
  }
  return {
    id: `asst_${randomChars(ALNUM, 24)}`,
    object: 'assistant',
    created_at: unixNow(),
    name: typeof json['name'] === 'string' ? json['name'] : null,
    description: typeof json['description'] === 'string' ? json['description'] : null,
    model: json['model'],
    instructions: typeof json['instructions'] === 'string' ? json['instructions'] : null,
    tools,
    top_p: new Float(typeof json['top_p'] === 'number' ? json['top_p'] : 1),
    temperature: new Float(typeof json['temperature'] === 'number' ? json['temperature'] : 1),
    reasoning_effort: typeof json['reasoning_effort'] === 'string' ? json['reasoning_effort'] : null,
    tool_resources: resources,
    metadata: isObject(json['metadata']) ? json['metadata'] : {},
    response_format: json['response_format'] ?? 'auto',
  };
}

function threadObject(json: Json): Json {
  return {
    id: `thread_${randomChars(ALNUM, 24)}`,
    object: 'thread',
    created_at: unixNow(),
    metadata: isObject(json['metadata']) ? json['metadata'] : {},
    tool_resources: isObject(json['tool_resources']) ? json['tool_resources'] : {},
  };
}

/**
 * `GET /v1/organizations`: the organizations the key's user belongs to, the key's own marked
 * `is_default` (key checkers read the default org and send it as `OpenAI-Organization` afterwards).
 */
function organizationList(persona: OpenAIPersona): Json {
  const orgs = persona.personal ? [org(persona, 'personal')] : [org(persona, 'named'), org(persona, 'personal')];
  return { object: 'list', data: orgs };
}

function firstUnknown(body: Json, known: ReadonlySet<string>): string | null {
  let n = 0;
  for (const key of Object.keys(body)) {
    if (++n > 4096) break;
    if (!known.has(key)) return key;
  }
  return null;
}

/**
 * The answer the real API gives a normal paid project key for an account/checker endpoint, or null
 * when `method path` is not one of them (the surface routes it as usual). `path` may carry a query.
 */
export function accountProbe(method: string, path: string, persona: OpenAIPersona, body: unknown | undefined, options: ProbeOptions = {}): ProbeAnswer | null {
  if (typeof path !== 'string' || typeof method !== 'string' || path.length > MAX_PATH) return null;
  const m = method.toUpperCase();
  const q = path.indexOf('?');
  const pathname = q < 0 ? path : path.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : path.slice(q + 1));
  const json: Json = isObject(body) ? body : {};

  if (pathname === '/v1/me' && m === 'GET') return ok(meObject(persona));
  if (pathname === '/v1/organizations' && m === 'GET') return ok(organizationList(persona));
  if (pathname.startsWith('/v1/organization/')) {
    const usage = /^\/v1\/organization\/(usage|costs)(\/|$)/.test(pathname);
    return scopeRefusal(usage ? 'api.usage.read' : 'api.management.read');
  }
  if (/^(\/v1)?\/dashboard\/billing\//.test(pathname) && m === 'GET') {
    const shown = pathname.length > 512 ? pathname.slice(0, 512) : pathname;
    return error(403, `Your request to GET ${shown} must be made with a session key (that is, it can only be made from the browser). You made it with the following key type: secret.`, null, null, 'legacy', 'server_error');
  }
  if (pathname === '/v1/usage' && m === 'GET') {
    if (!query.has('date')) return error(400, "Missing query parameter 'date'", null, null, 'legacy');
    return ok({ object: 'list', data: [], assistant_code_interpreter_data: [], dalle_api_data: [], ft_data: [], tts_api_data: [], whisper_api_data: [] });
  }
  if (pathname === '/v1/models' && m === 'GET') return ok({ object: 'list', data: persona.models });
  if (pathname.startsWith('/v1/models/') && m === 'GET') {
    const id = decodeURIComponentSafe(pathname.slice('/v1/models/'.length));
    const found = persona.models.find((x) => x.id === id);
    // [OBS] models.retrieve of an unknown id
    return found ? ok(found) : error(404, `The model '${id}' does not exist`, 'model', 'model_not_found');
  }
  if (pathname === '/v1/images/generations' && m === 'POST') {
    if (json['prompt'] === undefined || json['prompt'] === null) return error(400, "Missing required parameter: 'prompt'.", 'prompt', 'missing_required_parameter');
    const model = typeof json['model'] === 'string' ? json['model'] : 'dall-e-2';
    const unknown = firstUnknown(json, imageFields(model));
    if (unknown !== null) return error(400, `Unknown parameter: '${unknown}'.`, unknown, 'unknown_parameter');
    return imageGeneration(model, json, persona);
  }
  if ((pathname === '/v1/assistants' && (m === 'GET' || m === 'POST')) || (pathname === '/v1/threads' && m === 'POST') || (/^\/v1\/threads\/[^/]+$/.test(pathname) && m === 'GET')) {
    if (!hasBeta(options)) return error(400, NO_BETA, null, 'invalid_beta', 'legacy');
    if (pathname === '/v1/assistants' && m === 'GET') return ok({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
    if (pathname === '/v1/assistants') return json['model'] === undefined ? error(400, "Missing required parameter: 'model'.", 'model', 'missing_required_parameter') : ok(assistantObject(json));
    if (m === 'GET') {
      const id = decodeURIComponentSafe(pathname.slice('/v1/threads/'.length));
      return error(404, `No thread found with id '${id}'.`, null, null);
    }
    return ok(threadObject(json));
  }
  if (pathname === '/v1/fine_tuning/jobs') {
    if (m === 'GET') return ok({ object: 'list', data: [], has_more: false });
    if (m === 'POST') {
      if (json['model'] === undefined) return error(400, "Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
      if (json['training_file'] === undefined) return error(400, "Missing required parameter: 'training_file'.", 'training_file', 'missing_required_parameter');
      return null;
    }
  }
  if (pathname === '/v1/files') {
    if (m === 'GET') return ok({ object: 'list', data: [], has_more: false });
    if (m === 'POST') {
      const ct = options.contentType ?? 'application/json';
      if (/^multipart\/form-data/i.test(ct.trim())) return null;
      const shown = ct.length > 256 ? ct.slice(0, 256) : ct;
      return error(415, `Invalid Content-Type header (${shown}), expected multipart/form-data. (HINT: If you're using curl, you can pass -H 'Content-Type: multipart/form-data')`, null, null);
    }
  }
  return null;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch (e: unknown) {
    void e;
    return text;
  }
}
