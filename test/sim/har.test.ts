/**
 * HAR 1.2 export: a two-arm run's file validates against the HAR 1.2 structure (required fields,
 * types, page references, timings and their sum), holds both arms, and never holds a secret.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sim } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'honeygate-har-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const nameValue = z.object({ name: z.string(), value: z.string(), comment: z.string().optional() }).strict();
const timing = z.number().refine((n) => n === -1 || n >= 0, 'a time is -1 or ≥ 0');
/** HAR 1.2 (softwareishard.com/blog/har-12-spec): required members and types; custom fields start with _. */
const harSchema = z.object({
  log: z.object({
    version: z.literal('1.2'),
    creator: z.object({ name: z.string().min(1), version: z.string().min(1) }),
    pages: z.array(
      z.object({
        startedDateTime: z.iso.datetime(),
        id: z.string().min(1),
        title: z.string(),
        pageTimings: z.object({ onContentLoad: timing, onLoad: timing }),
      }),
    ),
    entries: z.array(
      z.object({
        pageref: z.string(),
        startedDateTime: z.iso.datetime(),
        time: z.number().min(0),
        request: z.object({
          method: z.string().min(1),
          url: z.url(),
          httpVersion: z.string(),
          cookies: z.array(nameValue),
          headers: z.array(nameValue).min(1),
          queryString: z.array(nameValue),
          postData: z.object({ mimeType: z.string(), text: z.string() }).optional(),
          headersSize: z.number().int(),
          bodySize: z.number().int(),
        }),
        response: z.object({
          status: z.number().int(),
          statusText: z.string(),
          httpVersion: z.string(),
          cookies: z.array(nameValue),
          headers: z.array(nameValue),
          content: z.object({ size: z.number().int().min(0), mimeType: z.string(), text: z.string().optional(), encoding: z.string().optional(), compression: z.number().optional() }),
          redirectURL: z.string(),
          headersSize: z.number().int(),
          bodySize: z.number().int(),
        }),
        cache: z.object({}),
        timings: z.object({ blocked: timing, dns: timing, connect: timing, send: z.number().min(0), wait: z.number().min(0), receive: z.number().min(0), ssl: timing }),
        serverIPAddress: z.string().optional(),
        comment: z.string().optional(),
      }),
    ),
  }),
});

describe('HAR export', () => {
  it('of a two-arm run validates as HAR 1.2, holds both arms, and no secret', async () => {
    const file = join(dir, 'two-arm.har');
    const key = 'sk-proj-testSECRETkeyABCDEFGHT3BlbkFJtestSECRETkeyABCDEFGH';
    const token = 'IQoJsessionTOKENthatMUSTnotLEAK0123456789';
    const r = await sim(['two-arm', '--flow', 'openai-chat', '--flow', 'openai-chat-stream', '--flow', 'bedrock-converse-stream', '--flow', 'bedrock-invoke-amazon-nova', '--param-env', 'api_key=SIM_KEY', '--param', `security_token=${token}`, '--har', file], { SIM_KEY: key });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(key);
    expect(text).not.toContain(token);
    expect(text).not.toContain('wJalrXUtnFEMI');
    expect(r.stdout).not.toContain(key);
    const har = harSchema.parse(JSON.parse(text));
    const pages = new Set(har.log.pages.map((p) => p.id));
    expect(pages).toEqual(new Set(['client-arm', 'server-arm']));
    for (const e of har.log.entries) {
      expect(pages.has(e.pageref)).toBe(true);
      const t = e.timings;
      const sum = [t.blocked, t.dns, t.connect, t.send, t.wait, t.receive].filter((x) => x >= 0).reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - e.time)).toBeLessThan(0.01);
      if (t.ssl >= 0) expect(t.connect).toBeGreaterThanOrEqual(t.ssl);
    }
    const client = har.log.entries.filter((e) => e.pageref === 'client-arm');
    const server = har.log.entries.filter((e) => e.pageref === 'server-arm');
    expect(client.length).toBe(4);
    expect(server.length).toBe(4);
    // the server arm saw the client's headers in the same order
    expect(server[0]?.request.headers.map((h) => h.name)).toEqual(client[0]?.request.headers.map((h) => h.name));
    const auth = client[0]?.request.headers.find((h) => h.name === 'Authorization')?.value;
    expect(auth).toMatch(/^Bearer \[redacted len=\d+ sha256:[0-9a-f]{12}\]$/);
    // event-stream bodies are binary: base64
    const es = client.find((e) => e.response.content.mimeType.startsWith('application/vnd.amazon.eventstream'));
    expect(es?.response.content.encoding).toBe('base64');
    const sse = client.find((e) => e.response.content.mimeType.startsWith('text/event-stream'));
    expect(sse?.response.content.text).toMatch(/data: \[DONE\]/);
  });

  it('of a one-arm run records failures with status 0', async () => {
    const file = join(dir, 'one-arm.har');
    const r = await sim(['run', '--target', 'http://127.0.0.1:9', '--flow', 'openai-models', '--har', file, '--timeout', '500ms']);
    expect(r.code).toBe(0);
    const har = harSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    expect(har.log.entries[0]?.response.status).toBe(0);
    expect(har.log.pages.map((p) => p.id)).toEqual(['client-arm']);
  });
});
