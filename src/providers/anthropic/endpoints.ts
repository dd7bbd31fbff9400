/**
 * The decoy's answers on the endpoints around Messages (docs/anthropic.md): `count_tokens`
 * (`{"input_tokens":N}`, validated like Messages), the model catalogue (models.ts), Message Batches
 * (a created batch is accepted and stays `in_progress`: no result is ever produced, which is what a
 * large batch looks like for up to 24 hours), Files (an upload is accepted and described; listing
 * shows none and every id is unknown, as for a workspace whose files are not shared with this key),
 * and the legacy Text Completions endpoint (refused for every current model, as the API does).
 * Pure: each returns what to write; the provider writes it.
 */
import { randomBytes } from 'node:crypto';
import { BASE58, randomFrom } from './headers.js';
import { listModels, retrieveModel, resolveModel } from './models.js';
import type { AnthropicEndpoint } from './protocol.js';
import { validateMessages } from './validate.js';

type Json = Record<string, unknown>;

export type EndpointAnswer =
  | { readonly kind: 'json'; readonly status: number; readonly value: unknown }
  | { readonly kind: 'error'; readonly code: 'invalid_request' | 'model_not_found' | 'not_found'; readonly arg: string };

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const invalid = (message: string): EndpointAnswer => ({ kind: 'error', code: 'invalid_request', arg: message });
const notFound = (message: string): EndpointAnswer => ({ kind: 'error', code: 'not_found', arg: message });
const EMPTY_PAGE = { data: [], has_more: false, first_id: null, last_id: null };

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, (m) => `${m.slice(0, 4)}000Z`);
}

export function batchId(): string {
  return `msgbatch_01${randomFrom(BASE58, 22)}`;
}

export function fileId(): string {
  return `file_011C${randomFrom(BASE58, 20)}`;
}

function batchObject(id: string, processing: number, createdMs: number, status: 'in_progress' | 'canceling'): Json {
  return {
    id,
    type: 'message_batch',
    processing_status: status,
    request_counts: { processing, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
    ended_at: null,
    created_at: iso(createdMs),
    expires_at: iso(createdMs + 86_400_000),
    archived_at: null,
    cancel_initiated_at: status === 'canceling' ? iso(Date.now()) : null,
    results_url: null,
  };
}

/** The creation time a batch id stands for: ids are random, so a stable time within the last hours. */
function createdFromId(id: string): number {
  const h = [...id].reduce((a, c) => (a * 31 + c.charCodeAt(0)) >>> 0, 7);
  return Date.now() - 600_000 - (h % (6 * 3_600_000));
}

function createBatch(body: Json | undefined, betas: ReadonlySet<string>): EndpointAnswer {
  const requests = body?.['requests'];
  if (requests === undefined) return invalid('requests: Field required');
  if (!Array.isArray(requests)) return invalid('requests: Input should be a valid list');
  if (requests.length === 0) return invalid('requests: List should have at least 1 item after validation, not 0');
  if (requests.length > 100_000) return invalid(`requests: List should have at most 100000 items after validation, not ${requests.length}`);
  const seen = new Set<string>();
  for (let i = 0; i < Math.min(requests.length, 1000); i++) {
    const r: unknown = requests[i];
    if (!isObject(r)) return invalid(`requests.${i}: Input should be a valid dictionary or object to extract fields from`);
    if (typeof r['custom_id'] !== 'string') return invalid(`requests.${i}.custom_id: Field required`);
    if (seen.has(r['custom_id'])) return invalid(`Duplicate custom_id: ${r['custom_id'].slice(0, 64)}`);
    seen.add(r['custom_id']);
    if (!isObject(r['params'])) return invalid(`requests.${i}.params: Field required`);
    const v = validateMessages(r['params'], false, betas);
    if (v.kind === 'invalid') return invalid(`requests.${i}.params.${v.message}`);
    if (v.kind === 'model') return invalid(`requests.${i}.params.model: ${v.model} is not a valid model`);
  }
  return { kind: 'json', status: 200, value: batchObject(batchId(), requests.length, Date.now(), 'in_progress') };
}

const BATCH_ID = /^msgbatch_[A-Za-z0-9]{10,40}$/;
const FILE_ID = /^file_[A-Za-z0-9]{10,40}$/;

/** `multipart/form-data` upload: the filename, media type and size of the `file` part (first 8 KB scanned). */
function describeUpload(raw: Buffer): { filename: string; mime: string; size: number } {
  const head = raw.subarray(0, 8192).toString('latin1');
  const filename = /filename="([^"\r\n]{1,255})"/.exec(head)?.[1] ?? 'upload';
  const mime = /Content-Type:\s*([\w.+-]+\/[\w.+-]+)/i.exec(head)?.[1] ?? 'application/octet-stream';
  const start = head.indexOf('\r\n\r\n');
  return { filename, mime, size: Math.max(0, raw.length - (start >= 0 ? start + 4 : 0) - 64) };
}

export function answerEndpoint(endpoint: AnthropicEndpoint, param: string | undefined, body: Json | undefined, raw: Buffer, query: URLSearchParams, betas: ReadonlySet<string> = new Set()): EndpointAnswer {
  switch (endpoint) {
    case 'messages.count_tokens': {
      const v = validateMessages(body ?? {}, true, betas);
      if (v.kind === 'invalid') return invalid(v.message);
      if (v.kind === 'model') return { kind: 'error', code: 'model_not_found', arg: v.model };
      return { kind: 'json', status: 200, value: { input_tokens: v.inputTokens } };
    }
    case 'models.list': {
      const r = listModels(query);
      return r.ok ? { kind: 'json', status: 200, value: r.body } : invalid(r.message);
    }
    case 'models.retrieve': {
      const id = decodeURIComponent(param ?? '');
      const info = retrieveModel(id);
      return info ? { kind: 'json', status: 200, value: info } : { kind: 'error', code: 'model_not_found', arg: id.slice(0, 200) };
    }
    case 'messages.batches.create':
      return createBatch(body, betas);
    case 'messages.batches.list':
    case 'files.list':
      return { kind: 'json', status: 200, value: EMPTY_PAGE };
    case 'messages.batches.retrieve':
    case 'messages.batches.cancel': {
      const id = param ?? '';
      if (!BATCH_ID.test(id)) return notFound(`Batch ${id.slice(0, 64)} not found.`);
      const status = endpoint === 'messages.batches.cancel' ? 'canceling' : 'in_progress';
      return { kind: 'json', status: 200, value: batchObject(id, 1 + (randomBytes(1)[0]! % 40), createdFromId(id), status) };
    }
    case 'messages.batches.results':
      return BATCH_ID.test(param ?? '') ? invalid(`Batch ${param ?? ''} has not finished processing. Results are available once processing has ended.`) : notFound(`Batch ${(param ?? '').slice(0, 64)} not found.`);
    case 'messages.batches.delete':
      return BATCH_ID.test(param ?? '') ? invalid(`Batch ${param ?? ''} cannot be deleted while it is still processing. Cancel it first.`) : notFound(`Batch ${(param ?? '').slice(0, 64)} not found.`);
    case 'files.upload': {
      const d = describeUpload(raw);
      return {
        kind: 'json',
        status: 200,
        value: { type: 'file', id: fileId(), size_bytes: d.size, created_at: iso(Date.now()), filename: d.filename, mime_type: d.mime, downloadable: false },
      };
    }
    case 'files.retrieve':
    case 'files.content':
    case 'files.delete': {
      const id = (param ?? '').slice(0, 64);
      return notFound(FILE_ID.test(id) ? `File not found: ${id}` : `Invalid file id: ${id}`);
    }
    case 'complete': {
      const model = body?.['model'];
      if (model === undefined) return invalid('model: Field required');
      if (typeof model !== 'string') return invalid('model: Input should be a valid string');
      const resolved = resolveModel(model);
      if (!resolved) return { kind: 'error', code: 'model_not_found', arg: model.slice(0, 200) };
      // [OBS] Claude 3 and later speak only the Messages API
      return invalid(`"${resolved.id}" is not supported on this API. Please use the Messages API instead.`);
    }
    case 'messages':
      return invalid('messages endpoint is served by the Messages decoy');
  }
}
