/**
 * `honeygate.lure.tools`: the tool definitions a thief sent with a lure key, recorded for every
 * surface that accepts tools (OpenAI chat and responses, Azure, Anthropic, Bedrock Converse, Gemini
 * native and OpenAI-compatible), by the official SDKs against a real listener; normalized to
 * name/type/description/parameters, bounded, and with key-shaped secrets masked.
 */
import Anthropic from '@anthropic-ai/sdk';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { GoogleGenAI, Type } from '@google/genai';
import OpenAI, { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintAwsKeyPair, mintOpenAIKey } from '../../src/deception/keygen.js';
import { mintAzureKey } from '../../src/deception/azure-keys.js';
import type { GatewayEvent } from '../../src/events/model.js';
import { lureToolsOf, MAX_TOOLS } from '../../src/events/tools.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const OPENAI_LURE = mintOpenAIKey('project');
const ANTHROPIC_LURE = `sk-ant-api03-${'T'.repeat(93)}AA`;
const AZURE_LURE = mintAzureKey({ region: 'swedencentral' });
const GEMINI_LURE = `AIzaSyB${'ToolsLure'}${'x7Q2'.repeat(8)}`.slice(0, 39);
const AWS_LURE = mintAwsKeyPair();
const STOLEN = mintOpenAIKey('project');

const SHELL = {
  name: 'run_shell',
  description: `Run a shell command on the victim host (token ${STOLEN})`,
  parameters: { type: 'object', properties: { cmd: { type: 'string', description: 'the command' } }, required: ['cmd'] },
};

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({
    lure_defaults: { realistic_timing: false, max_requests: 1000 },
    keys: [
      { name: 'oa-lure', key: OPENAI_LURE, class: 'lure' },
      { name: 'an-lure', key: ANTHROPIC_LURE, class: 'lure' },
    ],
    azure_keys: [{ name: 'az-lure', key: AZURE_LURE, class: 'lure', resource: 'acme-openai', deployments: { 'gpt-4o': 'gpt-4o' } }],
    gemini_keys: [{ name: 'gm-lure', key: GEMINI_LURE, class: 'lure' }],
    aws_keys: [{ name: 'aws-lure', class: 'lure', access_key_id: AWS_LURE.accessKeyId, secret_access_key: AWS_LURE.secretAccessKey }],
  });
});

afterAll(async () => {
  await gw?.close();
});

/** The request event of the last lure request of a surface (the final one, with the prompt). */
async function lastLureEvent(surface: string, path?: RegExp): Promise<GatewayEvent> {
  const until = Date.now() + 5000;
  for (;;) {
    const found = gw.events.filter((e) => e.honeygate.surface === surface && e.honeygate.key?.class === 'lure' && e.http?.response.status_code !== 0 && (path === undefined || path.test(e.url?.path ?? ''))).at(-1);
    if (found !== undefined) return found;
    if (Date.now() > until) throw new Error(`no lure event on ${surface}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function expectShell(e: GatewayEvent, extra: Record<string, unknown> = {}): void {
  const tools = e.honeygate.lure?.tools;
  expect(tools?.[0]).toMatchObject({ name: 'run_shell', ...extra });
  expect(tools?.[0]?.description).toContain('Run a shell command');
  expect(JSON.parse(tools?.[0]?.parameters ?? 'null')).toMatchObject({ type: 'object', properties: { cmd: { type: 'string' } } });
  expect(JSON.stringify(e)).not.toContain(STOLEN);
  expect(tools?.[0]?.description).toContain(STOLEN.slice(-4));
}

describe('lure events record the tools the client defined', () => {
  it('OpenAI chat completions and responses (openai SDK)', async () => {
    const client = new OpenAI({ apiKey: OPENAI_LURE, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'list the buckets' }], tools: [{ type: 'function', function: SHELL }] });
    expectShell(await lastLureEvent('openai', /chat/));
    await client.responses.create({ model: 'gpt-4o-mini', input: 'list the buckets', tools: [{ type: 'function', strict: false, ...SHELL }, { type: 'web_search_preview' }] });
    const e = await lastLureEvent('openai', /responses/);
    expectShell(e);
    expect(e.honeygate.lure?.tools?.[1]).toEqual({ name: 'web_search_preview', type: 'web_search_preview' });
  });

  it('Azure OpenAI (AzureOpenAI client)', async () => {
    const client = new AzureOpenAI({ endpoint: gw.url, apiKey: AZURE_LURE, apiVersion: '2024-10-21', deployment: 'gpt-4o', maxRetries: 0 });
    await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: SHELL }] });
    expectShell(await lastLureEvent('azure'));
  });

  it('Anthropic messages (@anthropic-ai/sdk), server tools included', async () => {
    const client = new Anthropic({ apiKey: ANTHROPIC_LURE, baseURL: gw.url, maxRetries: 0 });
    await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ name: SHELL.name, description: SHELL.description, input_schema: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] } }, { type: 'web_search_20250305', name: 'web_search' }],
    });
    const e = await lastLureEvent('anthropic');
    expectShell(e);
    expect(e.honeygate.lure?.tools?.[1]).toEqual({ name: 'web_search', type: 'web_search_20250305' });
  });

  it('Bedrock Converse (AWS SDK)', async () => {
    const client = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: gw.url, credentials: AWS_LURE, maxAttempts: 1 });
    try {
      await client.send(
        new ConverseCommand({
          modelId: 'us.amazon.nova-micro-v1:0',
          messages: [{ role: 'user', content: [{ text: 'hi' }] }],
          toolConfig: { tools: [{ toolSpec: { name: SHELL.name, description: SHELL.description, inputSchema: { json: SHELL.parameters } } }] },
        }),
      );
    } finally {
      client.destroy();
    }
    expectShell(await lastLureEvent('bedrock'));
  });

  it('Gemini generateContent (@google/genai) and its OpenAI-compatible API', async () => {
    const client = new GoogleGenAI({ apiKey: GEMINI_LURE, httpOptions: { baseUrl: gw.url } });
    await client.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'hi',
      config: { tools: [{ functionDeclarations: [{ name: SHELL.name, description: SHELL.description, parameters: { type: Type.OBJECT, properties: { cmd: { type: Type.STRING } }, required: ['cmd'] } }] }, { googleSearch: {} }] },
    });
    const e = await lastLureEvent('gemini', /generateContent/);
    expect(e.honeygate.lure?.tools?.[0]?.name).toBe('run_shell');
    expect(JSON.parse(e.honeygate.lure?.tools?.[0]?.parameters ?? 'null')).toMatchObject({ properties: { cmd: { type: 'STRING' } } });
    expect(e.honeygate.lure?.tools?.[1]).toEqual({ name: 'googleSearch', type: 'googleSearch' });
    expect(JSON.stringify(e)).not.toContain(STOLEN);
    const compat = new OpenAI({ apiKey: GEMINI_LURE, baseURL: `${gw.url}/v1beta/openai`, maxRetries: 0 });
    await compat.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: SHELL }] });
    expectShell(await lastLureEvent('gemini', /openai/));
  });

  it('a request without tools records none', async () => {
    const client = new OpenAI({ apiKey: OPENAI_LURE, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'plain' }] });
    const e = await lastLureEvent('openai', /chat/);
    expect(e.honeygate.lure?.prompt).toBe('plain');
    expect(e.honeygate.lure?.tools).toBeUndefined();
  });
});

describe('lureToolsOf: bounded, redacted, every shape', () => {
  it('caps names, descriptions, schemas, count and total size', () => {
    const huge = Array.from({ length: 200 }, (_, i) => ({ type: 'function', function: { name: `t${i}${'n'.repeat(300)}`, description: 'd'.repeat(5000), parameters: { p: 'x'.repeat(10_000) } } }));
    const out = lureToolsOf(huge) ?? [];
    expect(out.length).toBeGreaterThan(0);
    expect(out.length).toBeLessThanOrEqual(MAX_TOOLS);
    for (const t of out) {
      expect(t.name.length).toBeLessThanOrEqual(129);
      expect(t.description?.length).toBeLessThanOrEqual(1025);
      expect(t.parameters?.length).toBeLessThanOrEqual(4097);
      expect(t.parameters?.endsWith('…')).toBe(true);
    }
    expect(JSON.stringify(out).length).toBeLessThan(40 * 1024);
  });
  it('reads legacy functions, Converse specs, Gemini declarations and built-ins; skips junk', () => {
    expect(lureToolsOf([{ name: 'f', parameters: { a: 1 } }])).toEqual([{ name: 'f', parameters: '{"a":1}' }]);
    expect(lureToolsOf([{ toolSpec: { name: 'g', inputSchema: { json: { b: 2 } } } }])).toEqual([{ name: 'g', parameters: '{"b":2}' }]);
    expect(lureToolsOf([{ function_declarations: [{ name: 'h', parametersJsonSchema: { c: 3 } }] }, { codeExecution: {} }])).toEqual([{ name: 'h', parameters: '{"c":3}' }, { name: 'codeExecution', type: 'codeExecution' }]);
    expect(lureToolsOf([null, 3, 'x', [], {}])).toBeUndefined();
    expect(lureToolsOf([{ name: `key ${STOLEN}` }])?.[0]?.name).not.toContain(STOLEN);
  });
});
