/**
 * `anthropic-beta` on lure answers: malformed or unknown values get the API's exact 400, known betas
 * change what the decoy accepts (128k output, 1M window, interleaved thinking, beta-only fields).
 * Unit checks, then the official SDK's beta client against a real listener.
 */
import Anthropic, { BadRequestError } from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { betaAccepted, checkBetas } from '../../src/providers/anthropic/betas.js';
import { validateMessages } from '../../src/providers/anthropic/validate.js';
import { compose } from '../../src/providers/anthropic/decoy.js';
import { resolveModel } from '../../src/providers/anthropic/models.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const LURE = `sk-ant-api03-${'B'.repeat(93)}AA`;
const msgs = [{ role: 'user' as const, content: 'hello' }];

describe('the header', () => {
  it('accepts known, graduated and newer-than-the-catalogue betas', () => {
    expect(betaAccepted('interleaved-thinking-2025-05-14')).toBe(true);
    expect(betaAccepted('tools-2024-05-16')).toBe(true);
    expect(betaAccepted('claude-code-20250219')).toBe(true);
    expect(betaAccepted('some-new-feature-2027-03-01')).toBe(true);
    expect(checkBetas('output-128k-2025-02-19, context-1m-2025-08-07')).toEqual({ ok: true, betas: new Set(['output-128k-2025-02-19', 'context-1m-2025-08-07']) });
    expect(checkBetas(['a-2027-01-01', 'token-efficient-tools-2025-02-19'])).toMatchObject({ ok: true });
  });

  it('refuses misdated, malformed and empty values, naming each once', () => {
    expect(checkBetas('interleaved-thinking-2025-04-14')).toEqual({
      ok: false,
      message: 'Unexpected value(s) `interleaved-thinking-2025-04-14` for the `anthropic-beta` header. Please consult our documentation at docs.claude.com or try again without the header.',
    });
    expect(checkBetas('')).toMatchObject({ ok: false, message: expect.stringMatching(/^Unexpected value\(s\) `` for the `anthropic-beta` header\./) });
    const two = checkBetas('Output_128k, files-api-2025-04-14, prompt caching, Output_128k');
    expect(two).toMatchObject({ ok: false, message: expect.stringMatching(/^Unexpected value\(s\) `Output_128k`, `prompt caching` for the `anthropic-beta` header\./) });
  });
});

describe('betas in validation', () => {
  it('output-128k lifts Sonnet 3.7 only; context-1m widens the window of the models that have it', () => {
    const big = { model: 'claude-3-7-sonnet-20250219', max_tokens: 100000, messages: msgs };
    expect(validateMessages(big)).toMatchObject({ kind: 'invalid', message: expect.stringMatching(/^max_tokens: 100000 > 64000/) });
    expect(validateMessages(big, false, new Set(['output-128k-2025-02-19']))).toMatchObject({ kind: 'ok' });
    const long = { model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'word '.repeat(250_000) }] };
    expect(validateMessages(long)).toMatchObject({ kind: 'invalid', message: expect.stringMatching(/^prompt is too long: \d+ tokens > 200000 maximum$/) });
    expect(validateMessages(long, false, new Set(['context-1m-2025-08-07']))).toMatchObject({ kind: 'ok' });
    const haiku = { ...long, model: 'claude-haiku-4-5' };
    expect(validateMessages(haiku, false, new Set(['context-1m-2025-08-07']))).toMatchObject({ kind: 'invalid' });
  });

  it('interleaved thinking lets the budget exceed max_tokens; beta-only fields need their beta', () => {
    const body = { model: 'claude-sonnet-4-5', max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 4000 }, messages: msgs };
    expect(validateMessages(body)).toMatchObject({ kind: 'invalid', message: expect.stringMatching(/^`max_tokens` must be greater than `thinking.budget_tokens`/) });
    expect(validateMessages(body, false, new Set(['interleaved-thinking-2025-05-14']))).toMatchObject({ kind: 'ok' });
    const mcp = { model: 'claude-sonnet-4-5', max_tokens: 20, messages: msgs, mcp_servers: [{ type: 'url', url: 'https://mcp.example.com/sse', name: 'x' }] };
    expect(validateMessages(mcp)).toEqual({ kind: 'invalid', message: 'mcp_servers: Extra inputs are not permitted' });
    expect(validateMessages(mcp, false, new Set(['mcp-client-2025-04-04']))).toMatchObject({ kind: 'ok' });
    const cm = { model: 'claude-sonnet-4-5', max_tokens: 20, messages: msgs, context_management: { edits: [] } };
    expect(validateMessages(cm)).toEqual({ kind: 'invalid', message: 'context_management: Extra inputs are not permitted' });
    expect(validateMessages(cm, false, new Set(['context-management-2025-06-27']))).toMatchObject({ kind: 'ok' });
  });
});

describe('betas in the decoy', () => {
  it('after a tool result the model thinks again only with interleaved thinking (or adaptive)', () => {
    const model = resolveModel('claude-sonnet-4-5');
    if (!model) throw new Error('model');
    const body = {
      model: model.id, max_tokens: 3000, thinking: { type: 'enabled', budget_tokens: 1024 },
      tools: [{ name: 'get_time', input_schema: { type: 'object', properties: {} } }],
      messages: [
        { role: 'user', content: 'time?' },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 't', signature: 's' }, { type: 'tool_use', id: 'toolu_1', name: 'get_time', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '12:00' }] },
      ],
    };
    expect(compose(body, model, 'It is noon.').blocks.map((b) => b.type)).toEqual(['text']);
    expect(compose(body, model, 'It is noon.', new Set(['interleaved-thinking-2025-05-14'])).blocks.map((b) => b.type)).toEqual(['thinking', 'text']);
    expect(compose({ ...body, messages: body.messages.slice(0, 1) }, model, 'x').blocks[0]?.type).toBe('thinking');
  });
});

describe('the official SDK', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ lure_defaults: { realistic_timing: false, max_requests: 1000 }, anthropic_keys: [{ name: 'b', key: LURE, class: 'lure' }] });
  });
  afterAll(async () => {
    await gw?.close();
  });
  const client = (): Anthropic => new Anthropic({ apiKey: LURE, baseURL: gw.url, maxRetries: 0 });

  it('a misdated beta is a BadRequestError with the API text, on messages and count_tokens', async () => {
    const e = await client().beta.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: msgs, betas: ['interleaved-thinking-2025-04-14'] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BadRequestError);
    expect((e as BadRequestError).error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringMatching(/^Unexpected value\(s\) `interleaved-thinking-2025-04-14` for the `anthropic-beta` header/) } });
    const c = await client().beta.messages.countTokens({ model: 'claude-sonnet-4-5', messages: msgs, betas: ['nonsense'] }).catch((x: unknown) => x);
    expect(c).toBeInstanceOf(BadRequestError);
  });

  it('known betas are simulated: 128k output on Sonnet 3.7, mcp_servers admitted by its beta', async () => {
    // (the SDK streams requests this long itself)
    const long = await client().beta.messages.stream({ model: 'claude-3-7-sonnet-20250219', max_tokens: 100000, messages: msgs, betas: ['output-128k-2025-02-19'] }).finalMessage();
    expect(long.stop_reason).toBe('end_turn');
    const without = await client().messages.stream({ model: 'claude-3-7-sonnet-20250219', max_tokens: 100000, messages: msgs }).finalMessage().catch((x: unknown) => x);
    expect(without).toBeInstanceOf(BadRequestError);
    const mcp = await client().beta.messages.create({
      model: 'claude-sonnet-4-5', max_tokens: 50, messages: msgs, betas: ['mcp-client-2025-04-04'],
      mcp_servers: [{ type: 'url', url: 'https://mcp.example.com/sse', name: 'example' }],
    });
    expect(mcp.type).toBe('message');
  });
});
