/**
 * The protocol-free pipeline as pure functions: client address through trusted proxies (property
 * tested against hostile X-Forwarded-For), IPv6 /64 grouping, client fingerprints, the verdict's
 * order of decisions, the key ring, the policy's admit input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientAddress, clientFingerprint, cidrList, normalizeIp, rateLimitIp } from '../../src/core/identity.js';
import { KeyRing } from '../../src/core/keyring.js';
import { PERSONA_EXHAUSTED_MS, Policy } from '../../src/core/policy.js';
import { decide, needsStore } from '../../src/core/verdict.js';
import type { AdmitResult } from '../../src/store/types.js';
import { sha256Hex } from '../../src/util/hash.js';

const trusted = cidrList(['10.0.0.0/8', '::1/128']);

describe('client address', () => {
  it('an untrusted peer is the client, whatever X-Forwarded-For says', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.string({ maxLength: 300 }), (peer, xff) => {
        fc.pre(!peer.startsWith('10.'));
        expect(clientAddress(peer, xff, trusted)).toBe(peer);
      }),
    );
  });

  it('through trusted hops, the right-most untrusted address; never an unparsable string', () => {
    expect(clientAddress('10.0.0.1', '203.0.113.5', trusted)).toBe('203.0.113.5');
    expect(clientAddress('10.0.0.1', '198.51.100.1, 203.0.113.5, 10.0.0.7', trusted)).toBe('203.0.113.5');
    expect(clientAddress('10.0.0.1', ['1.1.1.1', '10.2.2.2'], trusted)).toBe('1.1.1.1');
    expect(clientAddress('10.0.0.1', 'garbage, 203.0.113.5', trusted)).toBe('203.0.113.5');
    expect(clientAddress('10.0.0.1', '203.0.113.5, garbage', trusted)).toBe('10.0.0.1');
    expect(clientAddress('::ffff:10.0.0.1', '2001:db8::1', trusted)).toBe('2001:db8::1');
    expect(clientAddress('::1', undefined, trusted)).toBe('::1');
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 20 })), { maxLength: 50 }), (hops) => {
        const got = clientAddress('10.0.0.1', hops.join(','), trusted);
        expect(got === '10.0.0.1' || hops.map((h) => normalizeIp(h.trim())).includes(got)).toBe(true);
      }),
    );
  });

  it('IPv6 is limited per /64 and IPv4 per address', () => {
    expect(rateLimitIp('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(rateLimitIp('2001:db8:1:2::ffff')).toBe('2001:db8:1:2::/64');
    expect(rateLimitIp('2001:DB8:0001:0002::1')).toBe('2001:db8:1:2::/64');
    expect(rateLimitIp('::1')).toBe('0:0:0:0::/64');
    expect(rateLimitIp('fe80::1')).toBe('fe80:0:0:0::/64');
    expect(rateLimitIp('203.0.113.9')).toBe('203.0.113.9');
  });
});

describe('client fingerprint', () => {
  it('SDK headers beat the user agent; known tools are named; hostile values are bounded', () => {
    expect(clientFingerprint({ 'x-stainless-lang': 'python', 'x-stainless-package-version': '1.109.1', 'x-stainless-runtime': 'CPython', 'x-stainless-runtime-version': '3.13.3', 'user-agent': 'curl/8' })).toEqual({
      name: 'openai-python',
      version: '1.109.1',
      runtime: 'CPython 3.13.3',
    });
    expect(clientFingerprint({ 'user-agent': 'python-requests/2.32.3' })).toEqual({ name: 'python-requests', version: '2.32.3' });
    expect(clientFingerprint({ 'user-agent': 'Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0' }).name).toBe('boto3');
    expect(clientFingerprint({ 'user-agent': 'aws-sdk-js/3.600.0 ua/2.1 os/linux' }).name).toBe('aws-sdk-js');
    expect(clientFingerprint({}).name).toBe('unknown');
    expect(clientFingerprint({ 'user-agent': 'something else' }).name).toBe('other');
    const long = clientFingerprint({ 'x-stainless-lang': 'x'.repeat(10_000), 'x-stainless-package-version': 'v'.repeat(10_000) });
    expect(long.name.length).toBeLessThan(40);
    expect(long.version?.length).toBeLessThanOrEqual(32);
  });
});

describe('verdict', () => {
  const ok: AdmitResult = { blocked: null, limited: null };
  it('follows the written order of decisions', () => {
    expect(decide({ keyClass: 'valid', networkAllowed: false, admit: ok })).toEqual({ action: 'reject', reason: 'network_denied' });
    expect(decide({ keyClass: 'missing', networkAllowed: true, admit: null })).toEqual({ action: 'reject', reason: 'missing_key' });
    expect(decide({ keyClass: 'invalid', networkAllowed: true, admit: null })).toEqual({ action: 'reject', reason: 'invalid_key' });
    const blocked: AdmitResult = { blocked: { subject: 'ip:1.2.3.4', until: 1, reason: 'x', createdAt: 0 }, limited: { rule: 'r', retryAfterMs: 1, limit: 1 } };
    expect(decide({ keyClass: 'valid', networkAllowed: true, admit: blocked })).toEqual({ action: 'block', reason: 'blocked' });
    expect(decide({ keyClass: 'lure', networkAllowed: true, admit: { ...ok, lureBlocked: true, lureCount: 3 } })).toEqual({ action: 'block', reason: 'lure_threshold' });
    expect(decide({ keyClass: 'valid', networkAllowed: true, admit: { blocked: null, limited: { rule: 'r', retryAfterMs: 5, limit: 2 } } })).toEqual({ action: 'reject', reason: 'rate_limited' });
    expect(decide({ keyClass: 'valid', networkAllowed: true, admit: 'unavailable' })).toEqual({ action: 'reject', reason: 'store_unavailable' });
    expect(decide({ keyClass: 'lure', networkAllowed: true, admit: ok })).toEqual({ action: 'deceive', reason: 'lure_key' });
    expect(decide({ keyClass: 'valid', networkAllowed: true, admit: ok })).toEqual({ action: 'forward', reason: 'valid_key' });
  });

  it('auth failures and denied clients never need the store', () => {
    expect(needsStore('invalid', true)).toBe(false);
    expect(needsStore('missing', true)).toBe(false);
    expect(needsStore('valid', false)).toBe(false);
    expect(needsStore('lure', true)).toBe(true);
  });
});

describe('key ring and policy', () => {
  const lure = {
    name: 'l',
    class: 'lure' as const,
    hash: sha256Hex('sk-lure'),
    fingerprint: 'sha256:aaaa',
    upstream: 'decoy',
    lure: { prompt: 'p', reply: 'r', maxRequests: 3, blockDurationMs: 1000, responseDelayMs: 0, realisticTiming: false },
  };
  it('classifies by hash; any other string is invalid', () => {
    const ring = new KeyRing([lure]);
    expect(ring.classify('sk-lure').record?.name).toBe('l');
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 300 }), (s) => {
      fc.pre(s !== 'sk-lure');
      expect(ring.classify(s).class).toBe('invalid');
    }));
  });

  it('builds one admit input: block subject, applicable limits, the lure check, persona usage', () => {
    const policy = new Policy({
      network: { allow: ['203.0.113.0/24'], deny: ['203.0.113.66/32'] },
      trusted_proxies: [],
      limits: { exempt: ['198.51.100.0/24'], rules: [{ name: 'ip', by: 'ip', limit: 5, window: 60_000, exempt: [] }, { name: 'u', by: 'header:x-user', limit: 2, window: 1000, exempt: [] }] },
    });
    expect(policy.networkAllowed('203.0.113.1')).toBe(true);
    expect(policy.networkAllowed('203.0.113.66')).toBe(false);
    expect(policy.networkAllowed('192.0.2.1')).toBe(false);
    const input = policy.admitInput({ ip: '203.0.113.1', headers: { 'x-user': 'bob' }, record: lure, tokens: 12 });
    // the lure's persona is a block subject of its own: the threshold exhausts it, not the address
    expect(input.subjects).toEqual(['ip:203.0.113.1', 'lure:sha256:aaaa']);
    expect(input.limits).toEqual([
      { rule: 'ip', key: '203.0.113.1', limit: 5, durationSec: 60 },
      { rule: 'u', key: 'bob', limit: 2, durationSec: 1 },
    ]);
    expect(input.lure).toMatchObject({ lureId: 'sha256:aaaa', subject: 'lure:sha256:aaaa', max: 3, blockDurationMs: PERSONA_EXHAUSTED_MS });
    expect(input.usage).toEqual({ key: 'sha256:aaaa', windowMs: 60_000, tokens: 12 });
    // a request the provider would not bill checks the persona's block but is not counted
    const free = policy.admitInput({ ip: '203.0.113.1', headers: {}, record: lure, tokens: 1, billable: false });
    expect(free.lure).toBeUndefined();
    expect(free.subjects).toContain('lure:sha256:aaaa');
    expect(policy.admitInput({ ip: '198.51.100.4', headers: {}, record: lure, tokens: 0 }).limits).toEqual([]);
  });
});
