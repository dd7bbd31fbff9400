/**
 * Keys minted by keygen.ts must be found by the scanners a thief runs, exactly like real leaks.
 * The regexes below are copied from the scanners' sources (Go RE2 → JS: `\A` → `^`, `\z` → `$`):
 * - gitleaks `config/gitleaks.toml` as generated from `cmd/generate/config/rules/{openai,anthropic,aws}.go`
 *   (GenerateUniqueTokenRegex wraps the body in `\b(` … `)(?:[\x60'"\s;]|\\[nr]|$)`), entropy ≥ 3;
 * - trufflehog `pkg/detectors/openai/openai.go` keyPat, `pkg/detectors/anthropic/anthropic.go` keyPat,
 *   `pkg/detectors/aws/access_keys/accesskey.go` idPat, `pkg/detectors/aws/common.go` SecretPat and the
 *   entropy floors RequiredIdEntropy 3.0 / RequiredSecretEntropy 4.25, `pkg/detectors/aws/utils.go`
 *   FalsePositiveSecretPat and GetAccountNumFromID.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  THINKST_CANARY_ACCOUNTS,
  decodeAwsAccountId,
  detectKeyFormat,
  encodeAwsAccessKeyId,
  encodeAwsUniqueId,
  mintAnthropicKey,
  mintAwsKeyPair,
  mintKey,
  mintOpenAIKey,
  randomAwsAccountId,
  KEY_FORMATS,
} from '../../src/deception/keygen.js';
import { DeceptionError } from '../../src/deception/errors.js';
import { hmacBytes, shannonEntropy } from '../../src/deception/random.js';

const GITLEAKS_OPENAI =
  /\b(sk-(?:proj|svcacct|admin)-(?:[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58})T3BlbkFJ(?:[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58})\b|sk-[a-zA-Z0-9]{20}T3BlbkFJ[a-zA-Z0-9]{20})(?:[\x60'"\s;]|\\[nr]|$)/;
const GITLEAKS_ANTHROPIC = /\b(sk-ant-api03-[a-zA-Z0-9_\-]{93}AA)(?:[\x60'"\s;]|\\[nr]|$)/;
const GITLEAKS_AWS = /\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})\b/;
const TRUFFLEHOG_OPENAI = /\b(sk-(?:(?:proj|svcacct|service)-[A-Za-z0-9_-]+|[a-zA-Z0-9]+)T3BlbkFJ[A-Za-z0-9_-]+)\b/;
const TRUFFLEHOG_ANTHROPIC = /\b(sk-ant-api03-[\w\-]{93}AA)\b/;
const TRUFFLEHOG_AWS_ID = /\b((?:AKIA|ABIA|ACCA)[A-Z0-9]{16})\b/;
const TRUFFLEHOG_AWS_SECRET = /(?:[^A-Za-z0-9+/]|^)([A-Za-z0-9+/]{40})(?:[^A-Za-z0-9+/]|$)/;
const TRUFFLEHOG_FALSE_POSITIVE_SECRET = /[a-f0-9]{40}/;

/** The contexts a key is planted in: quoted, env style, YAML, end of file. */
function contexts(key: string): string[] {
  return [`OPENAI_API_KEY="${key}"`, `api_key: ${key}\n`, `export K=${key};`, `key = '${key}'`, key];
}

function found(re: RegExp, text: string, key: string): boolean {
  return re.exec(text)?.[1] === key;
}

describe('OpenAI keys', () => {
  it('have the published layouts and lengths (wire-spec A5)', () => {
    const project = mintOpenAIKey('project');
    expect(project).toMatch(/^sk-proj-[A-Za-z0-9_-]{74}T3BlbkFJ[A-Za-z0-9_-]{73}A$/);
    expect(project).toHaveLength(164);
    expect(mintOpenAIKey('svcacct')).toHaveLength(167);
    expect(mintOpenAIKey('admin')).toHaveLength(133);
    const legacy = mintOpenAIKey('legacy');
    expect(legacy).toMatch(/^sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}$/);
    expect(legacy).toHaveLength(51);
  });

  it('match gitleaks and trufflehog in every planting context (500 keys per kind)', () => {
    for (const kind of ['project', 'svcacct', 'admin', 'legacy'] as const) {
      for (let i = 0; i < 500; i++) {
        const key = mintOpenAIKey(kind);
        for (const ctx of contexts(key)) {
          expect(found(GITLEAKS_OPENAI, ctx, key), `gitleaks ${kind}: ${ctx.slice(0, 30)}`).toBe(true);
          // trufflehog's detector deliberately skips admin keys (comment in openai.go)
          expect(found(TRUFFLEHOG_OPENAI, ctx, key), `trufflehog ${kind}`).toBe(kind !== 'admin');
        }
        expect(shannonEntropy(key)).toBeGreaterThanOrEqual(3);
        expect(detectKeyFormat(key)).toBe(`openai-${kind}`);
      }
    }
  });

  it('agree with the gitleaks published true positives on shape', () => {
    // samples from gitleaks cmd/generate/config/rules/openai.go (public test data)
    const samples = [
      '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',
      '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',
    ];
    for (const s of samples) {
      const mine = mintOpenAIKey(s.startsWith('sk-proj-') ? 'project' : 'admin');
      expect(mine.length).toBe(s.length);
      expect(mine.indexOf('T3BlbkFJ')).toBe(s.indexOf('T3BlbkFJ'));
      expect(mine.at(-1)).toBe(s.at(-1));
    }
  });

  it('are reproducible from a keyed byte source and differ between sources', () => {
    const a = mintOpenAIKey('project', hmacBytes('x'.repeat(32), 'a'));
    expect(mintOpenAIKey('project', hmacBytes('x'.repeat(32), 'a'))).toBe(a);
    expect(mintOpenAIKey('project', hmacBytes('x'.repeat(32), 'b'))).not.toBe(a);
  });
});

describe('Anthropic keys', () => {
  it('match gitleaks and trufflehog (500 keys)', () => {
    for (let i = 0; i < 500; i++) {
      const key = mintAnthropicKey();
      expect(key).toHaveLength(108);
      for (const ctx of contexts(key)) {
        expect(found(GITLEAKS_ANTHROPIC, ctx, key)).toBe(true);
        expect(found(TRUFFLEHOG_ANTHROPIC, ctx, key)).toBe(true);
      }
      expect(detectKeyFormat(key)).toBe('anthropic');
    }
  });
});

describe('AWS keys', () => {
  it('decode the wire-spec B6 sample and reject legacy ids', () => {
    expect(decodeAwsAccountId('ASIAY34FZKBOKMUTVV7A')).toBe('609629065308');
    expect(decodeAwsAccountId('AKIAIOSFODNN7EXAMPLE')).toBeNull(); // 5th char I: pre-2019
    expect(decodeAwsAccountId('AKIAJ7777777777777777')).toBeNull();
  });

  it('refuse malformed and hostile ids without throwing', () => {
    const bad: unknown[] = ['', 'AKIA', 'akiaY34FZKBOKMUTVV7A', 'AKIAY34FZKBOKMUTVV70', 'AKIAY34FZKBOKMUTVV1A', 'A'.repeat(100000), null, 42, {}];
    for (const b of bad) expect(decodeAwsAccountId(b as string)).toBeNull();
  });

  it('encode any 12-digit account so that it decodes back (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999 }), fc.integer({ min: 0, max: 999_999 }), fc.string(), (hi, lo, seed) => {
        const account = String(hi * 1_000_000 + lo).padStart(12, '0');
        const id = encodeAwsAccessKeyId(account, 'AKIA', hmacBytes('s'.repeat(16), seed));
        expect(id).toMatch(/^AKIA[Q-Z2-7][A-Z2-7]{15}$/);
        expect(decodeAwsAccountId(id)).toBe(account);
      }),
      { numRuns: 1000 },
    );
  });

  it('mint pairs that gitleaks and trufflehog detect, decode and would verify (500 pairs)', () => {
    for (let i = 0; i < 500; i++) {
      const pair = mintAwsKeyPair();
      const { accessKeyId: id, secretAccessKey: secret } = pair;
      expect(id).toHaveLength(20);
      expect(decodeAwsAccountId(id)).toBe(pair.accountId);
      expect(THINKST_CANARY_ACCOUNTS.has(pair.accountId)).toBe(false);
      const file = `[default]\naws_access_key_id = ${id}\naws_secret_access_key = ${secret}\n`;
      expect(found(GITLEAKS_AWS, file, id)).toBe(true);
      expect(found(TRUFFLEHOG_AWS_ID, file, id)).toBe(true);
      expect(found(TRUFFLEHOG_AWS_SECRET, `x ${secret} y`, secret)).toBe(true);
      expect(shannonEntropy(id)).toBeGreaterThanOrEqual(3);
      expect(shannonEntropy(secret)).toBeGreaterThanOrEqual(4.25);
      expect(TRUFFLEHOG_FALSE_POSITIVE_SECRET.test(secret)).toBe(false);
      expect(id.endsWith('EXAMPLE')).toBe(false);
      expect(secret).toMatch(/^[A-Za-z0-9+/]{40}$/);
    }
  });

  it('mint for a requested account and refuse a malformed one with a coded error', () => {
    const pair = mintAwsKeyPair({ accountId: '123456789012' });
    expect(decodeAwsAccountId(pair.accessKeyId)).toBe('123456789012');
    expect(() => mintAwsKeyPair({ accountId: '12345' })).toThrow(DeceptionError);
    try {
      encodeAwsAccessKeyId('abc');
    } catch (e: unknown) {
      expect((e as DeceptionError).code).toBe('HG_DECEPTION_BAD_ACCOUNT_ID');
    }
  });

  it('never draws a Thinkst canary account', () => {
    // a byte source that always lands on a canary account first: 052310077262 - 100000000000 < 0, so use 171436882533
    const target = 171_436_882_533 - 100_000_000_000;
    let calls = 0;
    const rigged = (n: number): Uint8Array => {
      calls++;
      const b = Buffer.alloc(n);
      if (calls === 1) b.writeUIntBE(target, 0, 6);
      else b.writeUIntBE(5, 0, 6);
      return Uint8Array.from(b);
    };
    expect(randomAwsAccountId(rigged)).toBe('100000000005');
  });

  it('encodes IAM unique ids (AIDA, 21 chars) with the same account', () => {
    const id = encodeAwsUniqueId('AIDA', '609629065308', hmacBytes('k'.repeat(16), 'x'), 17);
    expect(id).toMatch(/^AIDA[A-Z2-7]{17}$/);
    expect(decodeAwsAccountId(id)).toBe('609629065308');
  });
});

describe('mintKey', () => {
  it('mints every format and detects it back', () => {
    for (const format of KEY_FORMATS) {
      const k = mintKey(format);
      expect(detectKeyFormat(k.key)).toBe(format);
      if (format === 'aws') expect(k.secret).toMatch(/^[A-Za-z0-9+/]{40}$/);
      else expect(k.secret).toBeUndefined();
    }
  });

  it('detectKeyFormat rejects other strings', () => {
    for (const s of ['', 'sk-', 'sk-abc', 'Bearer x', 'sk-ant-api03-short', 'AKIA123', 'x'.repeat(600)]) expect(detectKeyFormat(s)).toBeNull();
  });
});
