/**
 * Canaries (src/deception/canary.ts): per-attacker values, stable for the same attacker, different
 * for another, in genuine formats, each with a token the gateway can recognise later.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CANARY_PLACEHOLDERS,
  canaryTokenFromHostname,
  canaryTokenFromKey,
  canaryTokenFromPath,
  checkCanaryTemplate,
  mintCanaries,
  type CanaryContext,
} from '../../src/deception/canary.js';
import { DeceptionError } from '../../src/deception/errors.js';
import { decodeAwsAccountId, detectKeyFormat, THINKST_CANARY_ACCOUNTS } from '../../src/deception/keygen.js';

const SECRET = 'canary-secret-for-tests-0123456789';
const ctx: CanaryContext = {
  clientIp: '203.0.113.9',
  lureKeyFingerprint: 'sha256:0123456789abcdef',
  campaign: 'github-leak',
  placement: 'acme/api .env',
  eventId: 'evt-1',
  baseUrl: 'https://llm.example.com/',
  now: 1_700_000_000_000,
};
const ALL = CANARY_PLACEHOLDERS.map((k) => `${k}=[{{canary:${k}}}]`).join('\n');

function field(text: string, kind: string): string {
  const m = new RegExp(`^${kind}=\\[([^\\]]*)\\]`, 'm').exec(text);
  return m?.[1] ?? '';
}

describe('mintCanaries', () => {
  it('fills every placeholder in its genuine format', () => {
    const { text, records, warnings } = mintCanaries(ALL, ctx, SECRET);
    expect(warnings).toEqual([]);
    expect(text).not.toContain('{{');
    expect(field(text, 'url')).toMatch(/^https:\/\/llm\.example\.com\/c\/[A-Za-z0-9_-]{22}$/);
    expect(detectKeyFormat(field(text, 'api_key'))).toBe('openai-project');
    expect(detectKeyFormat(field(text, 'anthropic_key'))).toBe('anthropic');
    const akid = field(text, 'aws_key');
    expect(detectKeyFormat(akid)).toBe('aws');
    const account = decodeAwsAccountId(akid);
    expect(account).toMatch(/^\d{12}$/);
    expect(THINKST_CANARY_ACCOUNTS.has(account ?? '')).toBe(false);
    expect(field(text, 'aws_secret')).toMatch(/^[A-Za-z0-9+/]{40}$/);
    expect(text).toContain(`aws_credentials=[aws_access_key_id = ${akid}\naws_secret_access_key = ${field(text, 'aws_secret')}]`);
    expect(field(text, 'hostname')).toMatch(/^[a-z][a-z0-9-]*-[a-z2-7]{10}\.llm\.example\.com$/);
    const pw = field(text, 'password');
    expect(pw).toHaveLength(20);
    expect(pw).toMatch(/[A-Z]/);
    expect(pw).toMatch(/[a-z]/);
    expect(pw).toMatch(/[0-9]/);
    expect(pw).toMatch(/[!@#$%^&*\-_=+]/);
    expect(field(text, 'token')).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(field(text, 'db_url')).toMatch(/^postgresql:\/\/[a-z_]+:[^@]+@db-[a-z2-7]{10}\.llm\.example\.com:5432\/[a-z]+$/);
    // one record per distinct value: url, api_key, anthropic_key, aws, hostname, password, token, db hostname, db password
    expect(records.map((r) => r.kind).sort()).toEqual(['anthropic_key', 'api_key', 'aws_key', 'hostname', 'hostname', 'password', 'password', 'token', 'url']);
    for (const r of records) {
      expect(r).toMatchObject({ mintedBy: 'evt-1', lureKeyFingerprint: ctx.lureKeyFingerprint, campaign: 'github-leak', placement: 'acme/api .env', clientIp: '203.0.113.9', createdAt: 1_700_000_000_000 });
    }
  });

  it('gives the same attacker the same values on every request', () => {
    const a = mintCanaries(ALL, ctx, SECRET);
    const b = mintCanaries(ALL, { ...ctx, eventId: 'evt-2', now: 1_700_000_999_000 }, SECRET);
    expect(b.text).toBe(a.text);
    expect(b.records.map((r) => r.token)).toEqual(a.records.map((r) => r.token));
  });

  it('gives another IP, another lure key or another secret different values', () => {
    const a = mintCanaries(ALL, ctx, SECRET);
    for (const other of [
      mintCanaries(ALL, { ...ctx, clientIp: '203.0.113.10' }, SECRET),
      mintCanaries(ALL, { ...ctx, lureKeyFingerprint: 'sha256:fedcba9876543210' }, SECRET),
      mintCanaries(ALL, ctx, `${SECRET}x`),
    ]) {
      const mine = new Set(a.records.map((r) => r.token));
      for (const r of other.records) expect(mine.has(r.token)).toBe(false);
    }
  });

  it('repeats a value for a repeated placeholder and separates labels', () => {
    const { text, records } = mintCanaries('{{canary:url}} {{canary:url}} {{canary:url:admin}} {{ canary:url:admin }}', ctx, SECRET);
    const urls = text.split(' ');
    expect(urls[0]).toBe(urls[1]);
    expect(urls[2]).toBe(urls[3]);
    expect(urls[0]).not.toBe(urls[2]);
    expect(records).toHaveLength(2);
    const host = mintCanaries('{{canary:hostname:vault}}', ctx, SECRET).text;
    expect(host).toMatch(/^vault-[a-z2-7]{10}\.llm\.example\.com$/);
  });

  it('removes unknown and malformed placeholders instead of leaking them', () => {
    const { text, warnings } = mintCanaries('a{{canary:nope}}b{{canary:url:bad label}}c{{canary:url:a:b}}d{{canary:}}e', ctx, SECRET);
    expect(text).toBe('abcde');
    expect(warnings).toHaveLength(4);
    expect(checkCanaryTemplate('{{canary:nope}} {{canary:url}}')).toEqual(['unknown canary placeholder {{canary:nope}}']);
    expect(checkCanaryTemplate(ALL)).toEqual([]);
  });

  it('bounds the work on hostile templates', () => {
    const many = '{{canary:token}}'.repeat(1000);
    const { text, warnings, records } = mintCanaries(many, ctx, SECRET);
    expect(records).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    expect(text.length).toBe(256 * 40);
    const big = `${'x'.repeat(2_000_000)}{{canary:url}}`;
    expect(mintCanaries(big, ctx, SECRET).text.length).toBeGreaterThan(2_000_000);
  });

  it('never throws on arbitrary templates (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom(...CANARY_PLACEHOLDERS.map((k) => `{{canary:${k}}}`), '{{canary:', '}}', '{{canary:url:x}}')), { maxLength: 30 }), (parts) => {
        const { text } = mintCanaries(parts.join(''), ctx, SECRET);
        expect(text).not.toMatch(/\{\{\s*canary:[^{}]{0,200}?\s*\}\}/);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a short secret, a bad base URL and a bad canary domain with coded errors', () => {
    expect(() => mintCanaries('x', ctx, 'short')).toThrow(DeceptionError);
    for (const baseUrl of ['not a url', 'ftp://x.example', 'javascript:alert(1)']) {
      expect(() => mintCanaries('x', { ...ctx, baseUrl }, SECRET)).toThrow(DeceptionError);
    }
    expect(() => mintCanaries('x', { ...ctx, canaryDomain: 'bad domain' }, SECRET)).toThrow(DeceptionError);
    expect(mintCanaries('{{canary:hostname}}', { ...ctx, canaryDomain: 'c.example.net' }, SECRET).text).toMatch(/\.c\.example\.net$/);
  });

  it('omits campaign and placement when the lure has none', () => {
    const { records } = mintCanaries('{{canary:url}}', { clientIp: '::1', lureKeyFingerprint: 'sha256:1', eventId: 'e', baseUrl: 'http://127.0.0.1:8080' }, SECRET);
    expect(records[0]).not.toHaveProperty('campaign');
    expect(records[0]).not.toHaveProperty('placement');
  });
});

describe('recognising canaries', () => {
  const { text, records } = mintCanaries(ALL, ctx, SECRET);
  const tokens = new Set(records.map((r) => r.token));

  it('finds URL tokens in request paths', () => {
    const url = new URL(field(text, 'url'));
    const token = canaryTokenFromPath(url.pathname);
    expect(token !== null && tokens.has(token)).toBe(true);
    expect(canaryTokenFromPath(`${url.pathname}?utm=x`)).toBe(token);
    expect(canaryTokenFromPath(`${url.pathname}/`)).toBe(token);
    expect(canaryTokenFromPath(`/prefix${url.pathname}`)).toBe(token);
    for (const p of ['/c/', '/c/short', '/x/AAAAAAAAAAAAAAAAAAAAAA', `/c/${'A'.repeat(23)}`, '', 'c'.repeat(10000)]) expect(canaryTokenFromPath(p)).toBeNull();
  });

  it('recognises canary keys, AWS ids, passwords and tokens by their hash', () => {
    for (const kind of ['api_key', 'anthropic_key', 'aws_key', 'password', 'token']) {
      const t = canaryTokenFromKey(field(text, kind));
      expect(t !== null && tokens.has(t), kind).toBe(true);
    }
    for (const k of ['', 'short', 'has space inside', 'x'.repeat(600), 'tab\there']) expect(canaryTokenFromKey(k)).toBeNull();
    expect(canaryTokenFromKey('sk-proj-not-a-canary-but-well-formed')).toMatch(/^k_[0-9a-f]{32}$/);
  });

  it('recognises canary hostnames under their domain', () => {
    const host = field(text, 'hostname');
    const t = canaryTokenFromHostname(`${host.toUpperCase()}:443`, 'llm.example.com');
    expect(t !== null && tokens.has(t)).toBe(true);
    expect(canaryTokenFromHostname(`${host}.`, 'llm.example.com.')).toBe(t);
    expect(canaryTokenFromHostname(host, 'other.example.com')).toBeNull();
    expect(canaryTokenFromHostname('llm.example.com', 'llm.example.com')).toBeNull();
    expect(canaryTokenFromHostname(`a.${host}`, 'llm.example.com')).toBeNull();
  });
});
