/**
 * Who is asking: the client address (from X-Forwarded-For only when the TCP peer is a trusted
 * proxy, walking the list from the right past trusted hops), the rate-limit key of that address
 * (IPv6 grouped per /64, as @fastify/rate-limit does) and the client fingerprint (which SDK or tool
 * sent the request, from User-Agent and the x-stainless-* / amz-sdk-* headers).
 */
import { BlockList, isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import type { ClientFingerprint } from '../events/model.js';

/** Build a BlockList from CIDR strings (validated by the config schema). */
export function cidrList(cidrs: readonly string[]): BlockList | null {
  if (cidrs.length === 0) return null;
  const list = new BlockList();
  for (const c of cidrs) {
    const [addr = '', bits] = c.split('/');
    const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(addr, family);
    else list.addSubnet(addr, Number(bits), family);
  }
  return list;
}

/** Strip the IPv4-mapped IPv6 prefix so one client has one address. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

export function inList(list: BlockList | null, ip: string): boolean {
  if (!list) return false;
  const family = isIP(ip);
  if (family === 0) return false;
  return list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
}

const MAX_XFF_HOPS = 32;

/** The client address: the peer, or through trusted proxies the right-most untrusted XFF entry. */
export function clientAddress(peer: string, xff: string | string[] | undefined, trusted: BlockList | null): string {
  let client = normalizeIp(peer);
  if (!trusted || xff === undefined || !inList(trusted, client)) return client;
  const hops = (Array.isArray(xff) ? xff.join(',') : xff).split(',');
  for (let i = hops.length - 1, n = 0; i >= 0 && n < MAX_XFF_HOPS; i--, n++) {
    const hop = normalizeIp((hops[i] ?? '').trim());
    if (isIP(hop) === 0) break; // a malformed entry: believe nothing further left
    client = hop;
    if (!inList(trusted, hop)) break;
  }
  return client;
}

/** Rate-limit identity of an address: IPv4 as is, IPv6 by its /64. */
export function rateLimitIp(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const [head = '', tail] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

interface UaRule {
  readonly re: RegExp;
  readonly name: string;
}

// compiled once; order matters (most specific first)
const UA_RULES: readonly UaRule[] = [
  { re: /^OpenAI\/Python ([\w.-]+)/, name: 'openai-python' },
  { re: /^OpenAI\/JS ([\w.-]+)/, name: 'openai-node' },
  { re: /^AsyncOpenAI\/Python ([\w.-]+)/, name: 'openai-python' },
  { re: /^google-genai-sdk\/([\w.-]+)/, name: 'google-genai' },
  { re: /^Boto3\/([\w.-]+)/, name: 'boto3' },
  { re: /^Botocore\/([\w.-]+)/, name: 'botocore' },
  { re: /aws-sdk-js\/([\w.-]+)/, name: 'aws-sdk-js' },
  { re: /^aws-cli\/([\w.-]+)/, name: 'aws-cli' },
  { re: /^curl\/([\w.-]+)/, name: 'curl' },
  { re: /^python-requests\/([\w.-]+)/, name: 'python-requests' },
  { re: /^python-httpx\/([\w.-]+)/, name: 'python-httpx' },
  { re: /^Python\/[\d.]+ aiohttp\/([\w.-]+)/, name: 'aiohttp' },
  { re: /^Go-http-client\/([\w.-]+)/, name: 'go-http-client' },
  { re: /^node-fetch(?:\/([\w.-]+))?/, name: 'node-fetch' },
  { re: /^axios\/([\w.-]+)/, name: 'axios' },
  { re: /^undici/, name: 'undici' },
  { re: /^Wget\/([\w.-]+)/, name: 'wget' },
  { re: /^PostmanRuntime\/([\w.-]+)/, name: 'postman' },
  { re: /^litellm\/([\w.-]+)/, name: 'litellm' },
  { re: /^honeygate-sim\/([\w.-]+)/, name: 'honeygate-sim' },
  { re: /^Mozilla\/5\.0.*ChatGPT-User\/([\w.-]+)/, name: 'chatgpt-actions' },
  { re: /^Mozilla\/5\.0/, name: 'browser' },
];

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Which client sent this: SDK headers win over the User-Agent (which anyone can set). */
export function clientFingerprint(headers: IncomingHttpHeaders): ClientFingerprint {
  const lang = header(headers, 'x-stainless-lang');
  if (lang !== undefined) {
    const version = header(headers, 'x-stainless-package-version');
    const runtime = header(headers, 'x-stainless-runtime');
    const runtimeVersion = header(headers, 'x-stainless-runtime-version');
    const os = header(headers, 'x-stainless-os');
    const arch = header(headers, 'x-stainless-arch');
    return {
      name: lang === 'python' ? 'openai-python' : lang === 'js' ? 'openai-node' : `openai-${lang.slice(0, 16)}`,
      ...(version !== undefined ? { version: version.slice(0, 32) } : {}),
      ...(runtime !== undefined ? { runtime: `${runtime} ${runtimeVersion ?? ''}`.trim().slice(0, 48) } : {}),
      ...(os !== undefined ? { os: os.slice(0, 32) } : {}),
      ...(arch !== undefined ? { arch: arch.slice(0, 16) } : {}),
    };
  }
  const ua = header(headers, 'user-agent');
  if (ua === undefined || ua === '') return { name: 'unknown' };
  for (const rule of UA_RULES) {
    const m = rule.re.exec(ua);
    if (m) return m[1] !== undefined ? { name: rule.name, version: m[1].slice(0, 32) } : { name: rule.name };
  }
  return { name: 'other' };
}
