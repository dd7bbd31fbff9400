/**
 * The deception answers seen through the official openai SDK (v6): a minimal server on
 * 127.0.0.1:0 renders accountProbe / validateOpenAIRequest answers with the layer formatting of
 * wire-spec A2, and the real client must raise the same error classes and codes it raises against
 * api.openai.com.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openaiPersona } from '../../src/deception/persona.js';
import { accountProbe } from '../../src/providers/openai/probes.js';
import { validateOpenAIRequest, type ValidatedEndpoint } from '../../src/providers/openai/validate.js';

const persona = openaiPersona(createHash('sha256').update('sdk').digest('hex'));
const ENDPOINTS: Record<string, ValidatedEndpoint> = {
  '/v1/chat/completions': 'chat.completions',
  '/v1/completions': 'completions',
  '/v1/embeddings': 'embeddings',
  '/v1/responses': 'responses',
};

let server: Server;
let client: OpenAI;

function render(status: number, body: unknown, layer: 'current' | 'legacy', res: import('node:http').ServerResponse): void {
  const text = layer === 'legacy' ? `${JSON.stringify(body, null, 4)}\n` : JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': layer === 'legacy' ? 'application/json; charset=utf-8' : 'application/json', 'x-request-id': 'req_0123456789abcdef0123456789abcdef' });
  res.end(text);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = raw === '' ? undefined : (JSON.parse(raw) as unknown);
      } catch (e: unknown) {
        void e;
        body = undefined;
      }
      const path = req.url ?? '/';
      const probe = accountProbe(req.method ?? 'GET', path, persona, body, { openaiBeta: String(req.headers['openai-beta'] ?? ''), contentType: req.headers['content-type'] });
      if (probe) return render(probe.status, probe.body, probe.layer, res);
      const endpoint = ENDPOINTS[path];
      if (endpoint && req.method === 'POST') {
        const refusal = validateOpenAIRequest(endpoint, body, persona);
        if (refusal) return render(refusal.status, { error: refusal.error }, refusal.layer, res);
        return render(200, { ok: true }, 'current', res);
      }
      return render(404, { error: { message: `Invalid URL (${req.method ?? ''} ${path})`, type: 'invalid_request_error', param: null, code: null } }, 'current', res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new OpenAI({ apiKey: 'sk-proj-test', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e: unknown) {
    return e;
  }
  throw new Error('expected the call to fail');
}

describe('through the openai SDK', () => {
  it('lists the persona models', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(persona.models.map((m) => m.id));
    const one = await client.models.retrieve('gpt-4o-mini');
    expect(one.created).toBe(1721172741);
  });

  it('an unknown chat model raises NotFoundError model_not_found', async () => {
    const e = await caught(client.chat.completions.create({ model: 'gpt-5.2-proo', messages: [{ role: 'user', content: 'hi' }] }));
    expect(e).toBeInstanceOf(OpenAI.NotFoundError);
    expect((e as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    expect((e as Error).message).toContain('The model `gpt-5.2-proo` does not exist or you do not have access to it.');
  });

  it('max_tokens 0 raises BadRequestError with param and code', async () => {
    const e = await caught(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], max_tokens: 0 }));
    expect(e).toBeInstanceOf(OpenAI.BadRequestError);
    const err = e as InstanceType<typeof OpenAI.BadRequestError>;
    expect(err.param).toBe('max_tokens');
    expect(err.code).toBe('integer_below_min_value');
  });

  it('a chat model on embeddings raises PermissionDeniedError', async () => {
    const e = await caught(client.embeddings.create({ model: 'gpt-4o', input: 'x' }));
    expect(e).toBeInstanceOf(OpenAI.PermissionDeniedError);
  });

  it('an unknown Responses model raises BadRequestError model_not_found', async () => {
    const e = await caught(client.responses.create({ model: 'gpt-5.2-proo', input: 'x' }));
    expect(e).toBeInstanceOf(OpenAI.BadRequestError);
    expect((e as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('model_not_found');
  });

  it('assistants without the beta header: the SDK sends it, so listing works', async () => {
    const page = await client.beta.assistants.list();
    expect(page.data).toEqual([]);
  });

  it('/v1/me and the billing probe read as a raw client sees them', async () => {
    const { port } = server.address() as AddressInfo;
    const me = (await (await fetch(`http://127.0.0.1:${port}/v1/me`)).json()) as { email: string };
    expect(me.email).toBe(persona.email);
    const billing = await fetch(`http://127.0.0.1:${port}/v1/dashboard/billing/subscription`);
    expect(billing.status).toBe(403);
    expect(await billing.text()).toMatch(/^\{\n {4}"error": \{\n {8}"message": "Your request to GET/);
  });
});
