/**
 * HAR 1.2 export (http://www.softwareishard.com/blog/har-12-spec/) of a run: one page per arm —
 * `client-arm` holds what the simulated clients sent and received, `server-arm` what the server arm
 * received and sent (two-arm runs). Bearer keys, session tokens and proxy credentials are redacted;
 * SigV4 Authorization stays (a signature and an access key id are not secrets).
 */
import type { ServerExchange } from './emulator.js';
import { decodedBody, headerValue } from './response.js';
import type { HeaderPair } from './request.js';
import { redactedToken, scrub, secretValues } from './report.js';
import type { FlowResult } from './runner.js';

export interface HarNameValue {
  readonly name: string;
  readonly value: string;
}

export interface HarEntry {
  readonly pageref: string;
  readonly startedDateTime: string;
  readonly time: number;
  readonly request: {
    readonly method: string;
    readonly url: string;
    readonly httpVersion: string;
    readonly cookies: readonly HarNameValue[];
    readonly headers: readonly HarNameValue[];
    readonly queryString: readonly HarNameValue[];
    readonly postData?: { readonly mimeType: string; readonly text: string; readonly params?: readonly HarNameValue[] };
    readonly headersSize: number;
    readonly bodySize: number;
  };
  readonly response: {
    readonly status: number;
    readonly statusText: string;
    readonly httpVersion: string;
    readonly cookies: readonly HarNameValue[];
    readonly headers: readonly HarNameValue[];
    readonly content: { readonly size: number; readonly compression?: number; readonly mimeType: string; readonly text?: string; readonly encoding?: string };
    readonly redirectURL: string;
    readonly headersSize: number;
    readonly bodySize: number;
    readonly _error?: string;
  };
  readonly cache: Record<string, never>;
  readonly timings: {
    readonly blocked: number;
    readonly dns: number;
    readonly connect: number;
    readonly send: number;
    readonly wait: number;
    readonly receive: number;
    readonly ssl: number;
  };
  readonly serverIPAddress?: string;
  /** custom field (HAR allows `_` names): the negotiated TLS version, cipher, ALPN and SNI */
  readonly _tls?: { readonly version: string; readonly cipher: string; readonly standardCipher?: string; readonly alpn: string | null; readonly sni: string | null };
  readonly comment?: string;
}

export interface Har {
  readonly log: {
    readonly version: '1.2';
    readonly creator: { readonly name: string; readonly version: string };
    readonly pages: ReadonlyArray<{
      readonly startedDateTime: string;
      readonly id: string;
      readonly title: string;
      readonly pageTimings: { readonly onContentLoad: number; readonly onLoad: number };
    }>;
    readonly entries: readonly HarEntry[];
  };
}

const SENSITIVE = new Set(['x-amz-security-token', 'proxy-authorization', 'x-api-key', 'api-key', 'cookie', 'set-cookie']);

function headerList(headers: readonly HeaderPair[], secrets: readonly string[]): HarNameValue[] {
  return headers.map(([name, value]) => {
    const lower = name.toLowerCase();
    if (SENSITIVE.has(lower)) return { name, value: redactedToken(value) };
    if (lower === 'authorization' && /^bearer\s/i.test(value)) return { name, value: `Bearer ${redactedToken(value.replace(/^bearer\s+/i, ''))}` };
    return { name, value: scrub(value, secrets) };
  });
}

function headSize(line: string, headers: readonly HeaderPair[]): number {
  return Buffer.byteLength(`${line}\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`, 'latin1');
}

function queryOf(url: string): HarNameValue[] {
  try {
    return [...new URL(url).searchParams.entries()].map(([name, value]) => ({ name, value }));
  } catch {
    return [];
  }
}

const TEXTUAL = /^(text\/|application\/(json|[a-z.+-]*\+json|x-www-form-urlencoded|xml))/i;

function content(body: Buffer, mimeType: string, secrets: readonly string[]): { size: number; mimeType: string; text?: string; encoding?: string } {
  if (body.length === 0) return { size: 0, mimeType };
  const text = body.toString('utf8');
  if (TEXTUAL.test(mimeType) && Buffer.from(text, 'utf8').equals(body)) return { size: body.length, mimeType, text: scrub(text, secrets) };
  return { size: body.length, mimeType, text: body.toString('base64'), encoding: 'base64' };
}

function clientEntry(r: FlowResult, allSecrets: readonly string[]): HarEntry {
  const secrets = [...new Set([...secretValues(r), ...allSecrets])];
  const req = r.request;
  const t = r.timings;
  const res = r.exchange.response;
  const reqMime = headerValue(req.headers, 'content-type') ?? 'application/octet-stream';
  const request = {
    method: req.method,
    url: scrub(req.url, secrets),
    httpVersion: 'HTTP/1.1',
    cookies: [],
    headers: headerList(req.headers, secrets),
    queryString: queryOf(req.url),
    ...(req.body.length > 0 ? { postData: { mimeType: reqMime, text: scrub(req.body.toString('utf8'), secrets) } } : {}),
    headersSize: headSize(`${req.method} ${req.requestTarget} HTTP/1.1`, req.headers),
    bodySize: req.body.length,
  };
  let response: HarEntry['response'];
  if (res) {
    const mime = headerValue(res.headers, 'content-type') ?? 'application/octet-stream';
    let decoded = res.body;
    try {
      decoded = decodedBody(res);
    } catch {
      decoded = res.body;
    }
    response = {
      status: res.status,
      statusText: res.reason,
      httpVersion: `HTTP/${res.httpVersion}`,
      cookies: [],
      headers: headerList(res.headers, secrets),
      content: { ...content(decoded, mime, secrets), ...(decoded !== res.body ? { compression: decoded.length - res.body.length } : {}) },
      redirectURL: headerValue(res.headers, 'location') ?? '',
      headersSize: res.headBytes,
      bodySize: r.exchange.rawResponse.length - res.headBytes,
    };
  } else {
    response = {
      status: 0,
      statusText: '',
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: [],
      content: { size: 0, mimeType: 'x-unknown' },
      redirectURL: '',
      headersSize: -1,
      bodySize: -1,
      _error: `${r.failure ?? 'error'}: ${scrub(r.reason, secrets)}`,
    };
  }
  // HAR: connect includes ssl; time is the sum of the non -1 phases (ssl excluded, it is in connect)
  const timings = { blocked: -1, dns: t.dns, connect: t.connect + t.ssl, send: t.send, wait: t.wait, receive: t.receive, ssl: t.ssl > 0 ? t.ssl : -1 };
  const time = timings.dns + timings.connect + timings.send + timings.wait + timings.receive;
  return {
    pageref: 'client-arm',
    startedDateTime: t.startedAt.toISOString(),
    time: Math.round(time * 1000) / 1000,
    request,
    response,
    cache: {},
    timings,
    ...(r.exchange.remoteAddress !== undefined ? { serverIPAddress: r.exchange.remoteAddress } : {}),
    ...(r.exchange.tls
      ? {
          _tls: {
            version: r.exchange.tls.version,
            cipher: r.exchange.tls.cipher,
            ...(r.exchange.tls.standardCipher !== undefined ? { standardCipher: r.exchange.tls.standardCipher } : {}),
            alpn: r.exchange.tls.alpn,
            sni: r.exchange.tls.sni,
          },
        }
      : {}),
    comment: `${r.profile} / ${r.flow}: ${r.outcome} (${scrub(r.reason, secrets)})`,
  };
}

function serverEntry(s: ServerExchange, base: string, secrets: readonly string[]): HarEntry {
  const url = /^[a-z]+:\/\//i.test(s.target) ? s.target : `${base}${s.target}`;
  const reqMime = headerValue(s.requestHeaders, 'content-type') ?? 'application/octet-stream';
  const resMime = headerValue(s.responseHeaders, 'content-type') ?? 'application/octet-stream';
  const time = Math.round(s.time * 1000) / 1000;
  return {
    pageref: 'server-arm',
    startedDateTime: s.startedAt.toISOString(),
    time,
    request: {
      method: s.method,
      url: scrub(url, secrets),
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: headerList(s.requestHeaders, secrets),
      queryString: queryOf(url),
      ...(s.requestBody.length > 0 ? { postData: { mimeType: reqMime, text: scrub(s.requestBody.toString('utf8'), secrets) } } : {}),
      headersSize: s.rawRequest.length - s.requestBody.length,
      bodySize: s.requestBody.length,
    },
    response: {
      status: s.status,
      statusText: s.reason,
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: headerList(s.responseHeaders, secrets),
      content: content(s.responseBody, resMime, secrets),
      redirectURL: '',
      headersSize: headSize(`HTTP/1.1 ${s.status} ${s.reason}`, s.responseHeaders),
      bodySize: s.responseBody.length,
    },
    cache: {},
    timings: { blocked: -1, dns: -1, connect: -1, send: 0, wait: time, receive: 0, ssl: -1 },
    ...(s.flow !== undefined ? { comment: `server arm / ${s.flow}` } : {}),
  };
}

/** Build the HAR document of a run (server exchanges only for two-arm runs). */
export function toHar(
  results: readonly FlowResult[],
  serverExchanges: readonly ServerExchange[] = [],
  options: { serverUrl?: string; version?: string } = {},
): Har {
  const allSecrets = [...new Set(results.flatMap(secretValues))];
  const first = results[0]?.timings.startedAt ?? new Date();
  const pages = [{ startedDateTime: first.toISOString(), id: 'client-arm', title: 'honeygate sim: client arm', pageTimings: { onContentLoad: -1, onLoad: -1 } }];
  if (serverExchanges.length > 0) {
    pages.push({
      startedDateTime: (serverExchanges[0]?.startedAt ?? first).toISOString(),
      id: 'server-arm',
      title: 'honeygate sim: server arm',
      pageTimings: { onContentLoad: -1, onLoad: -1 },
    });
  }
  const base = (options.serverUrl ?? 'http://127.0.0.1').replace(/\/$/, '');
  return {
    log: {
      version: '1.2',
      creator: { name: 'honeygate sim', version: options.version ?? '0.1.0' },
      pages,
      entries: [...results.map((r) => clientEntry(r, allSecrets)), ...serverExchanges.map((s) => serverEntry(s, base, allSecrets))],
    },
  };
}
