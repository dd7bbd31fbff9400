/**
 * Canaries (issue 3; docs/deception.md): placeholders in a lure's prompt or reply are replaced by
 * fake secrets and URLs unique to one attacker, so a later use of one names who took it and where.
 *
 * Values are derived with HMAC-SHA256 from a server secret over (placeholder, label, client IP,
 * lure key fingerprint): the same attacker sees the same values on every request (a changing
 * "secret" would give the game away), a different attacker different ones, and nobody without the
 * secret can predict them. Each value has a lookup token (`CanaryRecord.token`, src/store/types.ts):
 * - URLs `<baseUrl>/c/<22 base64url>`: the token is the path segment (`canaryTokenFromPath`);
 * - keys, passwords, tokens: `k_` + 32 hex of sha256(value) (`canaryTokenFromKey`), so a canary
 *   key presented to the gateway is recognised by its hash alone;
 * - hostnames `<word>-<10 base32>.<domain>`: `h_` + first label (`canaryTokenFromHostname`).
 * Keys are minted in genuine formats (keygen.ts) so the thief's scanners accept them.
 * Pure: no I/O; the caller stores the records (store.putCanary) and wires the routes and events.
 */
import { sha256Hex } from '../util/hash.js';
import type { CanaryRecord } from '../store/types.js';
import { DeceptionError } from './errors.js';
import { mintAnthropicKey, mintAwsKeyPair, mintOpenAIKey } from './keygen.js';
import { ALNUM, B64URL, BASE32, charsFrom, hmacBytes, intFrom, type ByteSource } from './random.js';

/** Every placeholder kind `{{canary:<kind>}}` / `{{canary:<kind>:<label>}}` understands. */
export const CANARY_PLACEHOLDERS = [
  'url',
  'api_key',
  'anthropic_key',
  'aws_key',
  'aws_secret',
  'aws_credentials',
  'hostname',
  'password',
  'token',
  'db_url',
] as const;
export type CanaryPlaceholder = (typeof CANARY_PLACEHOLDERS)[number];

export interface CanaryContext {
  readonly clientIp: string;
  /** `sha256:<16 hex>` of the lure key the request used */
  readonly lureKeyFingerprint: string;
  readonly campaign?: string | undefined;
  readonly placement?: string | undefined;
  /** id of the request event that minted the canaries */
  readonly eventId: string;
  /** public base URL of honeygate; canary URLs are `<baseUrl>/c/<token>` */
  readonly baseUrl: string;
  /** domain for hostname canaries (wildcard DNS you watch); default: the base URL's host */
  readonly canaryDomain?: string | undefined;
  /** epoch ms for `createdAt`; default Date.now() */
  readonly now?: number | undefined;
}

export interface CanaryMint {
  readonly text: string;
  /** one record per distinct value minted (store each with store.putCanary) */
  readonly records: CanaryRecord[];
  /** placeholders that were removed instead of filled (unknown kind, malformed, over the limit) */
  readonly warnings: string[];
}

const PLACEHOLDER = /\{\{\s*canary:([^{}]{0,200}?)\s*\}\}/g;
const STRAY = /\{\{\s*canary:/g;
const LABEL = /^[A-Za-z0-9_-]{1,32}$/;
const MAX_PLACEHOLDERS = 256;
const HOST_WORDS = ['db', 'vault', 'jenkins', 'grafana', 'bastion', 'gitlab', 'k8s-api', 'redis', 'admin', 'backup', 'staging', 'kibana'] as const;
const DB_USERS = ['app', 'app_rw', 'svc_api', 'admin', 'backend'] as const;
const DB_NAMES = ['production', 'app', 'prod', 'main', 'customers'] as const;
const SYMBOLS = '!@#$%^&*-_=+';

/** Lookup token of a secret-like canary value (and of any credential presented to the gateway). */
function keyToken(value: string, sha256?: string): string {
  return `k_${(sha256 ?? sha256Hex(value)).slice(0, 32)}`;
}

function isPlaceholder(kind: string): kind is CanaryPlaceholder {
  return (CANARY_PLACEHOLDERS as readonly string[]).includes(kind);
}

function pick<T>(source: ByteSource, items: readonly T[]): T {
  return items[intFrom(source, items.length)] as T;
}

function password(source: ByteSource): string {
  const chars = [...charsFrom(source, `${ALNUM}${SYMBOLS}`, 16)];
  // one of each class, at derived positions, so it passes any complexity rule
  for (const cls of ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', SYMBOLS]) {
    chars.splice(intFrom(source, chars.length + 1), 0, pick(source, [...cls]));
  }
  return chars.join('');
}

function normalizeBase(baseUrl: string): { base: string; host: string } {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch (e: unknown) {
    void e;
    throw new DeceptionError('HG_DECEPTION_BAD_BASE_URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new DeceptionError('HG_DECEPTION_BAD_BASE_URL');
  return { base: `${url.origin}${url.pathname.replace(/\/+$/, '')}`, host: url.hostname.toLowerCase() };
}

/** Problems a template would have (for config checks): unknown kinds, bad labels, too many. */
export function checkCanaryTemplate(template: string): string[] {
  const problems: string[] = [];
  let count = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    count++;
    const [kind = '', label, extra] = (match[1] ?? '').split(':');
    if (!isPlaceholder(kind)) problems.push(`unknown canary placeholder ${match[0]}`);
    else if (extra !== undefined || (label !== undefined && !LABEL.test(label))) problems.push(`malformed canary placeholder ${match[0]} (label: 1-32 of [A-Za-z0-9_-])`);
  }
  if (count > MAX_PLACEHOLDERS) problems.push(`more than ${MAX_PLACEHOLDERS} canary placeholders`);
  return problems;
}

/**
 * Fill every `{{canary:…}}` in `template` for one attacker. `secret` is honeygate's canary secret
 * (≥ 16 bytes, stable across restarts and instances, else an attacker's values change).
 */
export function mintCanaries(template: string, ctx: CanaryContext, secret: string | Uint8Array): CanaryMint {
  const secretBytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (secretBytes.length < 16) throw new DeceptionError('HG_DECEPTION_BAD_SECRET');
  const { base, host } = normalizeBase(ctx.baseUrl);
  const domain = (ctx.canaryDomain ?? host).toLowerCase().replace(/\.$/, '');
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(domain) || domain.length > 200) {
    throw new DeceptionError('HG_DECEPTION_BAD_ARGUMENT', 'canaryDomain must be a hostname');
  }
  const now = ctx.now ?? Date.now();
  const records = new Map<string, CanaryRecord>();
  const warnings: string[] = [];
  const values = new Map<string, string>();

  const source = (group: string, label: string): ByteSource =>
    hmacBytes(secretBytes, JSON.stringify(['honeygate-canary-v1', group, label, ctx.clientIp, ctx.lureKeyFingerprint]));

  const record = (token: string, kind: string): void => {
    if (records.has(token)) return;
    records.set(token, {
      token,
      kind,
      mintedBy: ctx.eventId,
      lureKeyFingerprint: ctx.lureKeyFingerprint,
      ...(ctx.campaign !== undefined ? { campaign: ctx.campaign } : {}),
      ...(ctx.placement !== undefined ? { placement: ctx.placement } : {}),
      clientIp: ctx.clientIp,
      createdAt: now,
    });
  };

  /** One value per (group, label), memoized so a repeated placeholder repeats its value. */
  const value = (group: string, label: string, make: (s: ByteSource) => string): string => {
    const key = `${group}\0${label}`;
    let v = values.get(key);
    if (v === undefined) {
      v = make(source(group, label));
      values.set(key, v);
    }
    return v;
  };

  const hostname = (label: string): string => {
    const h = value('hostname', label, (s) => {
      const word = LABEL.test(label) && /^[a-z][a-z0-9-]{0,20}$/.test(label.toLowerCase()) ? label.toLowerCase() : pick(s, HOST_WORDS);
      return `${word}-${charsFrom(s, BASE32, 10).toLowerCase()}.${domain}`;
    });
    record(`h_${h.slice(0, h.indexOf('.'))}`, 'hostname');
    return h;
  };
  const pass = (label: string): string => {
    const p = value('password', label, password);
    record(keyToken(p), 'password');
    return p;
  };
  const aws = (label: string): { id: string; secret: string } => {
    const pair = value('aws', label, (s) => {
      const minted = mintAwsKeyPair({}, s);
      return `${minted.accessKeyId}:${minted.secretAccessKey}`;
    });
    const [id = '', sec = ''] = pair.split(':');
    record(keyToken(id), 'aws_key');
    return { id, secret: sec };
  };

  const fill = (kind: CanaryPlaceholder, label: string): string => {
    switch (kind) {
      case 'url': {
        const token = value('url', label, (s) => charsFrom(s, B64URL, 22));
        record(token, 'url');
        return `${base}/c/${token}`;
      }
      case 'api_key': {
        const key = value('api_key', label, (s) => mintOpenAIKey('project', s));
        record(keyToken(key), 'api_key');
        return key;
      }
      case 'anthropic_key': {
        const key = value('anthropic_key', label, (s) => mintAnthropicKey(s));
        record(keyToken(key), 'anthropic_key');
        return key;
      }
      case 'aws_key':
        return aws(label).id;
      case 'aws_secret':
        return aws(label).secret;
      case 'aws_credentials': {
        const pair = aws(label);
        return `aws_access_key_id = ${pair.id}\naws_secret_access_key = ${pair.secret}`;
      }
      case 'hostname':
        return hostname(label);
      case 'password':
        return pass(label);
      case 'token': {
        const t = value('token', label, (s) => charsFrom(s, ALNUM, 40));
        record(keyToken(t), 'token');
        return t;
      }
      case 'db_url': {
        const dbLabel = label === '' ? 'db' : label;
        const extra = value('db', dbLabel, (s) => `${pick(s, DB_USERS)}/${pick(s, DB_NAMES)}`);
        const [user = 'app', db = 'app'] = extra.split('/');
        return `postgresql://${user}:${encodeURIComponent(pass(dbLabel))}@${hostname(dbLabel)}:5432/${db}`;
      }
      default: {
        const never: never = kind;
        return never;
      }
    }
  };

  let count = 0;
  const placeholder = (whole: string, inner: string): string => {
    count++;
    if (count > MAX_PLACEHOLDERS) {
      if (count === MAX_PLACEHOLDERS + 1) warnings.push(`more than ${MAX_PLACEHOLDERS} canary placeholders: the rest were removed`);
      return '';
    }
    const [kind = '', label = '', extra] = inner.trim().split(':');
    if (!isPlaceholder(kind)) {
      warnings.push(`unknown canary placeholder ${whole.slice(0, 64)} removed`);
      return '';
    }
    if (extra !== undefined || (label !== '' && !LABEL.test(label))) {
      warnings.push(`malformed canary placeholder ${whole.slice(0, 64)} removed`);
      return '';
    }
    return fill(kind, label);
  };
  // Literal text between placeholders loses any stray `{{canary:` (an unclosed placeholder), so
  // no template syntax can reach the attacker, even glued to a filled value.
  const literal = (segment: string): string =>
    segment.replace(STRAY, () => {
      warnings.push('unclosed canary placeholder removed');
      return '';
    });
  const tpl = String(template);
  let text = '';
  let last = 0;
  for (const m of tpl.matchAll(PLACEHOLDER)) {
    const at = m.index;
    text += literal(tpl.slice(last, at)) + placeholder(m[0], m[1] ?? '');
    last = at + m[0].length;
  }
  text += literal(tpl.slice(last));
  return { text, records: [...records.values()], warnings };
}

/** The canary token in a request path `…/c/<token>` (query and a trailing slash allowed), or null. */
export function canaryTokenFromPath(path: string): string | null {
  if (typeof path !== 'string' || path.length > 4096) return null;
  const m = /(?:^|\/)c\/([A-Za-z0-9_-]{22})\/?(?:[?#].*)?$/.exec(path);
  return m?.[1] ?? null;
}

/**
 * The lookup token of a credential presented to the gateway (an API key, an AWS access key id, a
 * password or token used as a bearer secret), or null when it cannot be a canary (too short, too
 * long, whitespace or control characters). Call it only for credentials not in the key ring, then
 * `store.getCanary(token)`.
 */
export function canaryTokenFromKey(key: string, sha256?: string): string | null {
  if (typeof key !== 'string' || key.length < 8 || key.length > 512 || !/^[\x21-\x7e]+$/.test(key)) return null;
  return keyToken(key, sha256);
}

/** The token of a canary hostname under `domain` (Host header, DNS query name), or null. */
export function canaryTokenFromHostname(host: string, domain: string): string | null {
  if (typeof host !== 'string' || typeof domain !== 'string' || host.length > 255) return null;
  const h = host.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
  const d = domain.toLowerCase().replace(/\.$/, '');
  if (d === '' || !h.endsWith(`.${d}`)) return null;
  const label = h.slice(0, h.length - d.length - 1);
  if (!/^[a-z][a-z0-9-]{0,20}-[a-z2-7]{10}$/.test(label)) return null;
  return `h_${label}`;
}
