/**
 * The newer providers' client profiles (captured from the real SDKs: AzureOpenAI of the openai
 * package, @google/genai), their flows against the emulator read by the official clients
 * themselves, and their errors recognised (and refusals attributed) like the others'.
 */
import { AzureOpenAI } from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFlowEmulator, type FlowEmulator } from '../../src/sim/emulator.js';
import { loadCatalog } from '../../src/sim/flows.js';
import { classifyExchange, serverProfiles } from '../../src/sim/runner.js';
import { parseResponse } from '../../src/sim/response.js';
import type { Exchange } from '../../src/sim/wire.js';
import { sim } from './helpers.js';

const catalog = await loadCatalog();
let emulator: FlowEmulator;
beforeAll(async () => {
  emulator = await startFlowEmulator({ flows: [...catalog.flows.values()], servers: serverProfiles(catalog) });
});
afterAll(async () => emulator.close());

function ex(raw: string): Exchange {
  return { response: parseResponse(Buffer.from(raw, 'latin1')), rawResponse: Buffer.from(raw, 'latin1'), timings: { startedAt: new Date(), dns: 0, connect: 0, ssl: 0, send: 0, wait: 0, receive: 0, total: 0 } };
}

describe('Azure OpenAI, Gemini and Anthropic', () => {
  it('are listed with their flows and pass two-arm', async () => {
    const list = await sim(['list']);
    for (const n of ['azure-openai-node', 'gemini-genai', 'anthropic-sdk', 'azure-openai-chat', 'gemini-generate-content', 'anthropic-messages']) expect(list.stdout).toContain(n);
    const r = await sim(['two-arm', '--flow', 'azure-openai-*', '--flow', 'gemini-*', '--flow', 'anthropic-*', '--profile', 'all', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // three Anthropic flows in two Anthropic profiles, one Azure, one Gemini
    expect((JSON.parse(r.stdout) as { results: unknown[] }).results.length).toBe(8);
  }, 30_000);

  it('the emulator answers the official clients', async () => {
    const az = new AzureOpenAI({ apiKey: 'k', endpoint: emulator.url, apiVersion: '2024-10-21', deployment: 'gpt-4o-mini', maxRetries: 0 });
    const c = await az.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(c.choices[0]?.message.content).toBe('Hello! How can I help you today?');
    const g = new GoogleGenAI({ apiKey: 'AIzaSyDk', httpOptions: { baseUrl: emulator.url } });
    const gr = await g.models.generateContent({ model: 'gemini-2.0-flash', contents: 'hi' });
    expect(gr.text).toBe('Hello! How can I help you today?');
    const an = new Anthropic({ apiKey: 'sk-ant-k', baseURL: emulator.url, maxRetries: 0 });
    const m = await an.messages.create({ model: 'claude-3-5-haiku-20241022', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] });
    expect(m.content[0]?.type === 'text' ? m.content[0].text : '').toBe('Hello! How can I help you today?');
    const stream = an.messages.stream({ model: 'claude-3-5-haiku-20241022', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] });
    expect(await stream.finalText()).toBe('Hello! How can I help you today?');
  }, 30_000);

  it('recognise the providers’ errors by body and headers', () => {
    const azure = catalog.flows.get('azure-openai-chat');
    const gemini = catalog.flows.get('gemini-generate-content');
    if (!azure || !gemini) throw new Error('flows missing');
    const azBody = '{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation have exceeded call rate limit."}}';
    const az = classifyExchange(
      azure,
      ex(`HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\napim-request-id: 229984e1-2885-42a2-9668-09b5037db6ea\r\nx-ms-region: East US 2\r\nContent-Length: ${azBody.length}\r\n\r\n${azBody}`),
      { target: new URL('https://corp.openai.azure.com') },
    );
    expect(az).toMatchObject({ outcome: 'blocked', refusedBy: 'provider', errorCode: '429' });
    const gmBody = '{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}';
    const gm = classifyExchange(gemini, ex(`HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json; charset=UTF-8\r\nServer: scaffolding on HTTPServer2\r\nContent-Length: ${gmBody.length}\r\n\r\n${gmBody}`));
    expect(gm).toMatchObject({ outcome: 'blocked', refusedBy: 'gateway-policy', errorCode: 'RESOURCE_EXHAUSTED' });
    const keyBody = '{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}';
    const bad = classifyExchange(gemini, ex(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=UTF-8\r\nServer: ESF\r\nContent-Length: ${keyBody.length}\r\n\r\n${keyBody}`));
    expect(bad).toMatchObject({ outcome: 'allowed', providerError: true });
    const noHeader = classifyExchange(gemini, ex(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${keyBody.length}\r\n\r\n${keyBody}`));
    expect(noHeader.outcome).toBe('altered');
  });
});
