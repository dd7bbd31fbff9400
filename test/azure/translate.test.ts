import { describe, expect, it } from 'vitest';
import { AzureSseRewriter, azureCompletionBody, azureJson, azureStreamEvent, compactJson, promptFilterChunk } from '../../src/providers/azure/translate.js';

describe('Azure body translation', () => {
  it('sorts keys, keeps prompt_filter_results entries in order, drops service_tier, ends with a newline', () => {
    const out = azureCompletionBody({ id: 'c', object: 'chat.completion', created: 1, model: 'gpt-4.1-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'a<b>&c' }, finish_reason: 'stop' }], service_tier: 'default' }, 'gpt-4.1-mini-2025-04-14');
    expect(out.endsWith('}\n')).toBe(true);
    expect(out).toContain('"content":"a\\u003cb\\u003e\\u0026c"');
    expect(JSON.parse(out).choices[0].message.content).toBe('a<b>&c');
    const json = JSON.parse(out) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['choices', 'created', 'id', 'model', 'object', 'prompt_filter_results']);
    expect(out).toContain('"prompt_filter_results":[{"prompt_index":0,"content_filter_results":{"hate"');
    expect(json['model']).toBe('gpt-4.1-mini-2025-04-14');
  });

  it('writes compact JSON in the value\'s own order where no filter ran', () => {
    expect(compactJson({ b: 1, a: [1, { d: undefined, c: 'x' }] })).toBe('{"b":1,"a":[1,{"c":"x"}]}');
    expect(azureJson({ b: 1, a: 'é\u2028' })).toBe('{"a":"é\\u2028","b":1}');
  });

  it('rewrites stream events across chunk boundaries and drops what is not data', () => {
    const w = new AzureSseRewriter('m-1');
    const role = 'data: {"id":"x","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"service_tier":"default"}\n\n';
    const text = 'data: {"id":"x","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}\n\n';
    const out = w.push(role.slice(0, 10)) + w.push(role.slice(10) + ': comment\n\n' + text.slice(0, 30)) + w.push(text.slice(30) + 'data: [DONE]\n\n');
    const events = out.split('\n\n').filter(Boolean);
    expect(events).toHaveLength(3);
    expect(JSON.parse((events[0] as string).slice(6)).choices[0].content_filter_results).toEqual({});
    expect(Object.keys(JSON.parse((events[1] as string).slice(6)).choices[0].content_filter_results)).toHaveLength(6);
    expect(events[2]).toBe('data: [DONE]');
    expect(azureStreamEvent('{not json', 'm')).toBeNull();
    expect(azureStreamEvent('[1,2]', 'm')).toBeNull();
    expect(promptFilterChunk()).toMatch(/^data: \{"choices":\[\],"created":0,"id":"","model":"","object":"","prompt_filter_results":\[\{"prompt_index":0,/);
  });
});
