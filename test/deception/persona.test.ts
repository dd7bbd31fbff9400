/**
 * Personas (src/deception/persona.ts): deterministic per lure key, distinct between keys, formats as
 * in wire-spec A1.1/A4.1/A5, and AWS personas whose account agrees with the key id (B6).
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeceptionError } from '../../src/deception/errors.js';
import { mintAwsKeyPair } from '../../src/deception/keygen.js';
import { MODEL_OBJECTS } from '../../src/deception/models.js';
import { awsPersona, openaiPersona } from '../../src/deception/persona.js';

const hashOf = (s: string): string => createHash('sha256').update(s).digest('hex');
const H1 = hashOf('lure-key-1');
const H2 = hashOf('lure-key-2');

describe('openaiPersona', () => {
  it('is deterministic: the same hash gives the same persona', () => {
    const a = openaiPersona(H1);
    const b = openaiPersona(H1);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.systemFingerprint('gpt-4o')).toBe(b.systemFingerprint('gpt-4o'));
    expect(a.models.map((m) => m.id)).toEqual(b.models.map((m) => m.id));
  });

  it('accepts the hash in upper case as the same seed', () => {
    expect(openaiPersona(H1.toUpperCase()).orgId).toBe(openaiPersona(H1).orgId);
  });

  it('has the wire formats of wire-spec A1.1 and A5', () => {
    for (let i = 0; i < 200; i++) {
      const p = openaiPersona(hashOf(`k${i}`));
      expect(p.orgId).toMatch(/^org-[A-Za-z0-9]{24}$/);
      expect(p.personalOrgId).toMatch(/^org-[A-Za-z0-9]{24}$/);
      expect(p.projectId).toMatch(/^proj_[A-Za-z0-9]{24}$/);
      expect(p.userId).toMatch(/^user-[A-Za-z0-9]{24}$/);
      expect(p.personalOrgSlug).toMatch(/^user-[a-z0-9]{24}$/);
      if (p.personal) {
        expect(p.orgSlug).toBe(p.personalOrgSlug);
        expect(p.orgTitle).toBe('Personal');
      } else {
        expect(p.orgSlug).toMatch(/^[a-z]+-[a-z]+-[a-z0-9]{6}$/);
      }
      expect([3, 4, 5]).toContain(p.tier);
      expect(p.cfColo).toMatch(/^[A-Z]{3}$/);
      expect(p.email).toMatch(/^[a-z0-9.]+@[a-z0-9.-]+\.[a-z]+$/);
      expect(p.name).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/);
      expect(p.systemFingerprint('gpt-4o-mini')).toMatch(/^fp_[0-9a-f]{10}$/);
      expect(p.orgCreated).toBeGreaterThanOrEqual(p.userCreated);
      expect(p.projectCreated).toBeGreaterThanOrEqual(p.orgCreated);
    }
  });

  it('makes two lure keys look different', () => {
    const a = openaiPersona(H1);
    const b = openaiPersona(H2);
    expect(a.orgId).not.toBe(b.orgId);
    expect(a.projectId).not.toBe(b.projectId);
    expect(a.userId).not.toBe(b.userId);
    expect(a.systemFingerprint('gpt-4o')).not.toBe(b.systemFingerprint('gpt-4o'));
    expect(a.models.map((m) => m.id)).not.toEqual(b.models.map((m) => m.id));
  });

  it('never repeats an id across 2000 personas', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const p = openaiPersona(hashOf(`u${i}`));
      for (const id of [p.orgId, p.projectId, p.userId, p.personalOrgSlug]) {
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
    }
  });

  it('lists the real catalogue (A4.1 ids and created values) in a per-persona order', () => {
    const p = openaiPersona(H1);
    expect(p.models).toHaveLength(MODEL_OBJECTS.length);
    const byId = new Map(p.models.map((m) => [m.id, m]));
    // values from wire-spec A4.1
    const expected: Record<string, [number, string]> = {
      'gpt-4o': [1715367049, 'system'],
      'gpt-4o-mini': [1721172741, 'system'],
      'whisper-1': [1677532384, 'openai-internal'],
      'tts-1': [1681940951, 'openai-internal'],
      'dall-e-3': [1698785189, 'system'],
      'dall-e-2': [1698798177, 'system'],
      'davinci-002': [1692634301, 'system'],
      'babbage-002': [1692634615, 'system'],
      'text-embedding-3-large': [1705953180, 'system'],
      'gpt-4-1106-preview': [1698957206, 'system'],
      'gpt-4-0125-preview': [1706037612, 'system'],
      'gpt-4-turbo-preview': [1706037777, 'system'],
      'gpt-3.5-turbo-16k': [1683758102, 'openai-internal'],
      'tts-1-hd-1106': [1699053533, 'system'],
      'o3-mini': [1737146383, 'system'],
      'chatgpt-4o-latest': [1723515131, 'system'],
      'omni-moderation-latest': [1731689265, 'system'],
      'gpt-image-1': [1745517030, 'system'],
      'gpt-4o-audio-preview': [1727460443, 'system'],
      'gpt-4o-realtime-preview': [1727659998, 'system'],
      'gpt-4o-transcribe': [1742068463, 'system'],
      'gpt-4o-mini-tts': [1742403959, 'system'],
    };
    for (const [id, [created, owner]] of Object.entries(expected)) {
      expect(byId.get(id), id).toEqual({ id, object: 'model', created, owned_by: owner });
      expect(Object.keys(byId.get(id) ?? {})).toEqual(['id', 'object', 'created', 'owned_by']);
    }
    expect(new Set(p.models.map((m) => m.id)).size).toBe(p.models.length);
  });

  it('resolves aliases to the dated snapshot the answer reports (A3.2)', () => {
    const p = openaiPersona(H1);
    expect(p.resolveModel('gpt-4o')).toBe('gpt-4o-2024-08-06');
    expect(p.resolveModel('gpt-4o-mini')).toBe('gpt-4o-mini-2024-07-18');
    expect(p.resolveModel('gpt-3.5-turbo')).toBe('gpt-3.5-turbo-0125');
    expect(p.resolveModel('gpt-4o-2024-05-13')).toBe('gpt-4o-2024-05-13');
    expect(p.resolveModel('text-embedding-3-small')).toBe('text-embedding-3-small');
    // the base completion models answer with their internal name (davinci:2023-07-21-v2), not a listed id
    for (const m of p.models) if (!/^(davinci|babbage)-002$/.test(m.id)) expect(p.models.some((x) => x.id === p.resolveModel(m.id))).toBe(true);
    expect(p.resolveModel('davinci-002')).toBe('davinci:2023-07-21-v2');
  });

  it('returns null for unknown, mis-cased and hostile model names', () => {
    const p = openaiPersona(H1);
    for (const m of ['gpt-5.2-proo', 'GPT-4o', 'gpt-4o ', '', 'ft:gpt-4o-mini:acme::x', 'x'.repeat(100000), '__proto__', 'constructor']) {
      expect(p.resolveModel(m)).toBeNull();
    }
  });

  it('gives rate limits consistent with the tier and model (A1.1 recorded values at tier 5)', () => {
    const tier5 = [...Array(200).keys()].map((i) => openaiPersona(hashOf(`t${i}`))).find((p) => p.tier === 5);
    expect(tier5).toBeDefined();
    expect(tier5?.limitsFor('gpt-4o')).toEqual({ rpm: 10000, tpm: 30_000_000 });
    expect(tier5?.limitsFor('gpt-4o-mini')).toEqual({ rpm: 30000, tpm: 150_000_000 });
    const tier3 = [...Array(200).keys()].map((i) => openaiPersona(hashOf(`t${i}`))).find((p) => p.tier === 3);
    expect(tier3?.limitsFor('gpt-4o')).toEqual({ rpm: 5000, tpm: 800_000 });
    // limits never fall as the tier rises
    for (const model of ['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small', 'gpt-5', 'unknown-model']) {
      const t3 = tier3?.limitsFor(model);
      const t5 = tier5?.limitsFor(model);
      expect((t5?.tpm ?? 0) >= (t3?.tpm ?? 0)).toBe(true);
    }
  });

  it('draws processing times that grow with output and stay in bounds, whatever the RNG', () => {
    const p = openaiPersona(H1);
    let seed = 1;
    const rand = (): number => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const mean = (tokens: number): number => {
      let s = 0;
      for (let i = 0; i < 400; i++) s += p.processingMs(rand, tokens, 'gpt-4o');
      return s / 400;
    };
    const short = mean(5);
    const long = mean(800);
    expect(short).toBeGreaterThan(50);
    expect(short).toBeLessThan(2000);
    expect(long).toBeGreaterThan(short * 3);
    for (const r of [() => 0, () => 1, () => NaN, () => -5, () => Infinity]) {
      for (const t of [0, -1, NaN, Infinity, 1e12]) {
        const ms = p.processingMs(r, t);
        expect(Number.isInteger(ms)).toBe(true);
        expect(ms).toBeGreaterThanOrEqual(1);
        expect(ms).toBeLessThanOrEqual(600_000);
      }
    }
  });

  it('rejects a seed that is not a sha256 hex digest', () => {
    for (const bad of ['', 'abc', 'z'.repeat(64), `${H1}0`, 'sk-proj-raw-key']) {
      expect(() => openaiPersona(bad)).toThrow(DeceptionError);
    }
  });

  it('uses a configured email domain', () => {
    expect(openaiPersona(H1, { emailDomain: 'lures.example.org' }).email).toMatch(/@lures\.example\.org$/);
  });

  it('is fast enough to compute per lure key (1000 personas < 2 s)', () => {
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) openaiPersona(hashOf(`p${i}`));
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('awsPersona', () => {
  it('takes the account from the key id, so STS and ARNs agree (B6)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100_000, max: 999_999 }), fc.integer({ min: 0, max: 999_999 }), (hi, lo) => {
        const accountId = String(hi * 1_000_000 + lo);
        const { accessKeyId } = mintAwsKeyPair({ accountId });
        const p = awsPersona(accessKeyId);
        expect(p.accountId).toBe(accountId);
        expect(p.arn).toBe(`arn:aws:iam::${accountId}:user/${p.userName}`);
        expect(p.userId).toMatch(/^AIDA[A-Z2-7]{17}$/);
        expect(awsPersona(accessKeyId)).toEqual(p);
      }),
      { numRuns: 200 },
    );
  });

  it('decodes the wire-spec sample and gives legacy ids a stable 12-digit account', () => {
    expect(awsPersona('ASIAY34FZKBOKMUTVV7A').accountId).toBe('609629065308');
    const legacy = awsPersona('AKIAIOSFODNN7EXAMPLE');
    expect(legacy.accountId).toMatch(/^\d{12}$/);
    expect(awsPersona('AKIAIOSFODNN7EXAMPLE').accountId).toBe(legacy.accountId);
  });
});
