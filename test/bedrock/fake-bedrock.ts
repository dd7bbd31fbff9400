/**
 * A fake Bedrock (runtime and control plane on one port) that verifies every request with
 * honeygate's own SigV4 verifier against the upstream credentials it was given, records what it
 * saw, and answers like the service: Converse JSON, event streams written frame by frame (a stream
 * can be held after its first frame until the test releases it), native InvokeModel bodies, a
 * corrupt frame on request, and `GET /foundation-models`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderAwsError } from '../../src/providers/bedrock/errors.js';
import { encodeEvent, sortedJson } from '../../src/providers/bedrock/eventstream.js';
import { authenticate } from '../../src/providers/bedrock/sigv4.js';

export const UPSTREAM_TEXT = 'from upstream';

export interface Seen {
  readonly method: string;
  readonly url: string;
  /** the key id whose signature checked out, or null */
  readonly accessKeyId: string | null;
  readonly authError?: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export interface FakeBedrock {
  readonly url: string;
  readonly seen: Seen[];
  /** the next stream waits after its first frame until `release()` (or 5 s) */
  holdNextStream(): { released: Promise<'client' | 'timeout'>; release(): void };
  close(): Promise<void>;
}

export async function startFakeBedrock(credentials: readonly { accessKeyId: string; secretAccessKey: string }[], region = 'us-west-2'): Promise<FakeBedrock> {
  const seen: Seen[] = [];
  let hold: { gate: Promise<'client' | 'timeout'>; release: () => void } | null = null;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const auth = authenticate(
          { method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, body },
          { lookupAccessKey: (id) => credentials.find((c) => c.accessKeyId === id), service: 'bedrock', region },
        );
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          accessKeyId: auth.ok ? auth.accessKeyId : null,
          ...(auth.ok ? {} : { authError: auth.error }),
          headers: req.headers,
          body: body.toString(),
        });
        if (!auth.ok) {
          renderAwsError(res, auth.error, auth.message);
          return;
        }
        const url = req.url ?? '';
        if (url.startsWith('/foundation-models')) {
          const out = Buffer.from(JSON.stringify({ modelSummaries: [{ modelId: 'upstream.model-v1:0', providerName: 'Upstream' }] }));
          res.writeHead(200, ['Content-Type', 'application/json', 'Content-Length', String(out.length), 'x-amzn-RequestId', '0b8e2f1c-0000-4000-8000-00000000000f']);
          res.end(out);
          return;
        }
        if (url.endsWith('/converse-stream') || url.endsWith('/invoke-with-response-stream')) {
          const invoke = url.endsWith('/invoke-with-response-stream');
          const head = ['Content-Type', 'application/vnd.amazon.eventstream', 'x-amzn-RequestId', '0b8e2f1c-0000-4000-8000-000000000001'];
          if (invoke) head.push('X-Amzn-Bedrock-Content-Type', 'application/json');
          res.writeHead(200, head);
          const frames = invoke
            ? [
                { type: 'message_start', message: { role: 'assistant' } },
                { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: UPSTREAM_TEXT } },
                { type: 'message_stop', 'amazon-bedrock-invocationMetrics': { inputTokenCount: 1, outputTokenCount: 2, invocationLatency: 5, firstByteLatency: 1 } },
              ].map((e) => encodeEvent('chunk', { bytes: Buffer.from(JSON.stringify(e)).toString('base64') }))
            : [
                encodeEvent('messageStart', { role: 'assistant' }),
                encodeEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: UPSTREAM_TEXT } }),
                encodeEvent('contentBlockStop', { contentBlockIndex: 0 }),
                encodeEvent('messageStop', { stopReason: 'end_turn' }),
                encodeEvent('metadata', { metrics: { latencyMs: 5 }, usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } }),
              ];
          if (url.includes('corrupt')) {
            const bad = Buffer.from(frames[1] ?? Buffer.alloc(0));
            bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0xff; // the message CRC no longer matches
            frames[1] = bad;
          }
          res.write(frames[0]);
          const h = hold;
          hold = null;
          if (h) await h.gate;
          for (const f of frames.slice(1)) res.write(f);
          res.end();
          return;
        }
        if (url.endsWith('/invoke')) {
          const out = Buffer.from(JSON.stringify({ id: 'msg_bdrk_01', type: 'message', role: 'assistant', content: [{ type: 'text', text: UPSTREAM_TEXT }], stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 2 } }));
          res.writeHead(200, ['Content-Type', 'application/json', 'Content-Length', String(out.length), 'x-amzn-RequestId', '0b8e2f1c-0000-4000-8000-000000000003', 'X-Amzn-Bedrock-Input-Token-Count', '1', 'X-Amzn-Bedrock-Output-Token-Count', '2']);
          res.end(out);
          return;
        }
        const out = Buffer.from(
          sortedJson({ metrics: { latencyMs: 5 }, output: { message: { content: [{ text: UPSTREAM_TEXT }], role: 'assistant' } }, stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } }),
        );
        res.writeHead(200, ['Content-Type', 'application/json', 'Content-Length', String(out.length), 'x-amzn-RequestId', '0b8e2f1c-0000-4000-8000-000000000002']);
        res.end(out);
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    holdNextStream() {
      let release: () => void = () => undefined;
      const gate = new Promise<'client' | 'timeout'>((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), 5000);
        release = () => {
          clearTimeout(timer);
          resolve('client');
        };
      });
      hold = { gate, release };
      return { released: gate, release };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
