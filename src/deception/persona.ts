/**
 * Personas: the fake account behind each lure key, derived deterministically from the sha256 of the
 * key (issue 3), so repeated probes agree and two lure keys never look alike. Every field has its
 * own seeded stream (random.ts), so adding a field never changes the existing ones.
 * Formats follow the recorded wire: headers (`openai-organization` slug, `openai-project`, cf-ray colo),
 * the org id in rate-limit messages, the dated snapshot in `model` (`fp_` + 10 hex), model objects,
 * the /v1/me user, id formats and the AWS account id decoded from the AKID.
 * Pure and synchronous; the caller computes a persona once per lure key and caches it.
 */
import { createHash } from 'node:crypto';
import { DeceptionError } from './errors.js';
import { decodeAwsAccountId, encodeAwsUniqueId } from './keygen.js';
import { MODEL_OBJECTS, catalogueModel, limitFamily, snapshotOf, tierLimits, type ModelObject, type RateLimits } from './models.js';
import { ALNUM, LOWER_ALNUM, seededRandom, type RandomFn, type Rng } from './random.js';

export type { ModelObject, RateLimits } from './models.js';

export interface OpenAIPersona {
  /** the sha256 hex of the lure key this persona belongs to */
  readonly keyHashHex: string;
  /** `openai-organization` header: `user-` + 24 [a-z0-9] (personal) or `<name>-<6 [a-z0-9]>` */
  readonly orgSlug: string;
  /** `org-` + 24 alnum (rate-limit messages, /v1/me) */
  readonly orgId: string;
  /** the organization's display title (`Personal` for a personal org) */
  readonly orgTitle: string;
  /** true when the key belongs to the user's personal org */
  readonly personal: boolean;
  /** every user also has a personal org; equals orgSlug/orgId when `personal` */
  readonly personalOrgSlug: string;
  readonly personalOrgId: string;
  /** `openai-project` header: `proj_` + 24 alnum */
  readonly projectId: string;
  readonly projectTitle: string;
  /** `user-` + 24 alnum */
  readonly userId: string;
  readonly email: string;
  readonly name: string;
  /** avatar URL as auth0 writes it (gravatar with an initials fallback) [INF] */
  readonly picture: string;
  readonly mfaEnabled: boolean;
  /** unix seconds */
  readonly userCreated: number;
  readonly orgCreated: number;
  readonly projectCreated: number;
  /** usage tier of a paid account: 3–5 */
  readonly tier: 3 | 4 | 5;
  /** the `/v1/models` list, in this account's order */
  readonly models: readonly ModelObject[];
  /** stable 3-letter Cloudflare colo for cf-ray */
  readonly cfColo: string;
  /** the dated snapshot an answer reports, or null for a model this account cannot use */
  resolveModel(requested: string): string | null;
  /** rate limits (x-ratelimit-limit-*) for a model at this tier */
  limitsFor(model: string): RateLimits;
  /** a realistic `openai-processing-ms` for an answer of `outputTokens` tokens */
  processingMs(rand: RandomFn, outputTokens: number, model?: string): number;
  /** `fp_` + 10 hex, stable per persona and model */
  /** `fp_…` per model, or null for the models the API answers without one */
  systemFingerprint(model: string): string | null;
}

export interface PersonaOptions {
  /**
   * Domain for the persona's email. Default: a public mail provider with a numbered local part.
   * Set it to a domain you own (and monitor) so a fabricated address never belongs to a stranger.
   */
  readonly emailDomain?: string;
}

const FIRST = [
  'Maria', 'James', 'Priya', 'Daniel', 'Sofia', 'Lucas', 'Aisha', 'Noah', 'Elena', 'Mateo', 'Hannah', 'Ethan',
  'Yuki', 'Omar', 'Chloe', 'Liam', 'Fatima', 'Jonas', 'Grace', 'Ravi', 'Amelia', 'Tomasz', 'Leila', 'Samuel',
  'Ingrid', 'Kwame', 'Nora', 'Diego', 'Mei', 'Oliver', 'Zara', 'Felix', 'Isabel', 'Arjun', 'Clara', 'Marcus',
  'Ana', 'Henrik', 'Layla', 'Victor', 'Emma', 'Tariq', 'Julia', 'Kenji', 'Rosa', 'Adrian', 'Sara', 'Nikolai',
] as const;
const LAST = [
  'Okafor', 'Chen', 'Patel', 'Schmidt', 'Rossi', 'Silva', 'Kowalski', 'Nguyen', 'Haddad', 'Johansson', 'Garcia',
  'Tanaka', 'Murphy', 'Novak', 'Mensah', 'Fischer', 'Ibrahim', 'Lindqvist', 'Moreau', 'Santos', 'Kim', 'Brennan',
  'Costa', 'Weber', 'Ahmed', 'Larsen', 'Romero', 'Sato', 'Dubois', 'Kaur', 'Petrov', 'Walsh', 'Ortiz', 'Berg',
  'Yilmaz', 'Reyes', 'Hughes', 'Nakamura', 'Ferreira', 'Adeyemi', 'Keller', 'Alvarez', 'Park', 'Jensen',
] as const;
const MAIL_PROVIDERS = ['gmail.com', 'gmail.com', 'gmail.com', 'outlook.com', 'proton.me', 'icloud.com', 'hotmail.com'] as const;
const ORG_WORDS = [
  'cedar', 'harbor', 'summit', 'lumen', 'orbit', 'signal', 'vector', 'nimbus', 'tandem', 'copper', 'falcon', 'maple',
  'quartz', 'beacon', 'meridian', 'juniper', 'kestrel', 'halcyon', 'basalt', 'aurora', 'fjord', 'sequoia', 'tidal',
] as const;
const ORG_SUFFIXES = ['labs', 'ai', 'analytics', 'data', 'systems', 'health', 'logistics', 'studio', 'cloud', 'robotics', 'software', 'works'] as const;
const PROJECTS = ['Default project', 'Default project', 'Default project', 'prod', 'chatbot', 'internal-tools', 'support-bot', 'rag-pipeline', 'backend'] as const;
/** Large Cloudflare colos seen in real cf-ray values and other big PoPs. */
const COLOS = ['SJC', 'SEA', 'LAX', 'DFW', 'ORD', 'IAD', 'EWR', 'ATL', 'MIA', 'YYZ', 'AMS', 'FRA', 'LHR', 'CDG', 'ARN', 'WAW', 'MAD', 'NRT', 'SIN', 'HKG', 'SYD', 'BOM', 'GRU', 'GIG', 'EVN'] as const;

const HASH_HEX = /^[0-9a-f]{64}$/;

function capitalize(word: string): string {
  return word.length === 0 ? word : `${word[0]?.toUpperCase() ?? ''}${word.slice(1)}`;
}

/** Box–Muller normal draw from a caller's RNG; never NaN or infinite, whatever the RNG returns. */
function normal(rand: RandomFn): number {
  const clamp = (v: number): number => (Number.isFinite(v) ? Math.min(Math.max(v, 1e-12), 1 - 1e-12) : 0.5);
  const u1 = clamp(rand());
  const u2 = clamp(rand());
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Relative generation speed per model family (mini models stream faster) [INF]. */
function speedFactor(model: string | undefined): number {
  if (model === undefined) return 1;
  switch (limitFamily(model)) {
    case 'mini':
      return 0.6;
    case 'gpt5':
      return 1.3;
    case 'embedding':
      return 0.05;
    case 'gpt4':
      return 2.2;
    case 'gpt4-turbo':
      return 1.6;
    case 'gpt35':
    case 'legacy':
      return 0.5;
    default:
      return 1;
  }
}

export function openaiPersona(keyHashHex: string, options: PersonaOptions = {}): OpenAIPersona {
  const seed = keyHashHex.toLowerCase();
  if (!HASH_HEX.test(seed)) throw new DeceptionError('HG_DECEPTION_BAD_KEY_HASH');
  const rng = (label: string): Rng => seededRandom(seed, `openai:${label}`);

  const who = rng('who');
  const first = who.pick(FIRST);
  const last = who.pick(LAST);
  const name = `${first} ${last}`;
  const mail = rng('email');
  const domain = options.emailDomain?.trim().toLowerCase();
  const local = mail.pick([`${first}.${last}`, `${first}${last}`, `${first[0] ?? ''}${last}`, `${first}.${last[0] ?? ''}`]).toLowerCase();
  const email =
    domain !== undefined && /^[a-z0-9.-]+\.[a-z]{2,}$/.test(domain)
      ? `${local}@${domain}`
      : `${local}${mail.range(10, 9999)}@${mail.pick(MAIL_PROVIDERS)}`;
  const initials = `${first[0] ?? 'x'}${last[0] ?? 'x'}`.toLowerCase();
  const picture = `https://s.gravatar.com/avatar/${createHash('md5').update(email).digest('hex')}?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2F${initials}.png`;

  const ids = rng('ids');
  const userId = `user-${ids.chars(ALNUM, 24)}`;
  const personalOrgSlug = `user-${ids.chars(LOWER_ALNUM, 24)}`;
  const personalOrgId = `org-${ids.chars(ALNUM, 24)}`;
  const projectId = `proj_${ids.chars(ALNUM, 24)}`;

  const orgRng = rng('org');
  const personal = orgRng.next() < 0.45;
  const word = orgRng.pick(ORG_WORDS);
  const suffix = orgRng.pick(ORG_SUFFIXES);
  const orgTitle = personal ? 'Personal' : `${capitalize(word)} ${suffix === 'ai' ? 'AI' : capitalize(suffix)}`;
  const namedSlug = `${word}-${suffix}-${orgRng.chars(LOWER_ALNUM, 6)}`;
  const namedOrgId = `org-${orgRng.chars(ALNUM, 24)}`;

  const time = rng('time');
  // accounts opened between 2021-06 and 2024-06; named orgs and projects come later
  const userCreated = time.range(1_622_505_600, 1_717_200_000);
  const orgCreated = personal ? userCreated + time.range(1, 40) : userCreated + time.range(86_400, 200 * 86_400);
  const projectCreated = Math.max(orgCreated, 1_713_000_000) + time.range(0, 120 * 86_400);

  const tierRng = rng('tier');
  const tierDraw = tierRng.next();
  const tier: 3 | 4 | 5 = tierDraw < 0.3 ? 3 : tierDraw < 0.65 ? 4 : 5;

  // the real listing's order differs between accounts: shuffle it per persona (Fisher–Yates)
  const order = rng('models');
  const models = [...MODEL_OBJECTS];
  for (let i = models.length - 1; i > 0; i--) {
    const j = order.int(i + 1);
    const a = models[i] as ModelObject;
    models[i] = models[j] as ModelObject;
    models[j] = a;
  }

  const speed = rng('speed');
  const baseMs = speed.range(140, 380);
  const msPerToken = 8 + speed.next() * 12;
  const cfColo = rng('colo').pick(COLOS);
  const mfaEnabled = rng('mfa').next() < 0.35;
  const projectTitle = rng('project').pick(PROJECTS);

  const fingerprints = new Map<string, string>();

  const persona: OpenAIPersona = {
    keyHashHex: seed,
    orgSlug: personal ? personalOrgSlug : namedSlug,
    orgId: personal ? personalOrgId : namedOrgId,
    orgTitle,
    personal,
    personalOrgSlug,
    personalOrgId,
    projectId,
    projectTitle,
    userId,
    email,
    name,
    picture,
    mfaEnabled,
    userCreated,
    orgCreated,
    projectCreated,
    tier,
    models: Object.freeze(models),
    cfColo,
    resolveModel(requested: string): string | null {
      if (typeof requested !== 'string' || catalogueModel(requested) === undefined) return null;
      return snapshotOf(requested);
    },
    limitsFor(model: string): RateLimits {
      return tierLimits(tier, typeof model === 'string' ? model : '');
    },
    processingMs(rand: RandomFn, outputTokens: number, model?: string): number {
      const tokens = Number.isFinite(outputTokens) && outputTokens > 0 ? Math.min(outputTokens, 1_000_000) : 0;
      const base = baseMs * Math.exp(0.35 * normal(rand));
      const perToken = msPerToken * speedFactor(model) * Math.exp(0.12 * normal(rand));
      const ms = Math.round(base + tokens * perToken);
      return Math.min(Math.max(ms, 1), 600_000);
    },
    systemFingerprint(model: string): string | null {
      const snap = typeof model === 'string' ? snapshotOf(model) : '';
      if (withoutFingerprint(snap)) return null;
      let fp = fingerprints.get(snap);
      if (fp === undefined) {
        fp = `fp_${createHash('sha256').update(`${seed}:fp:${snap}`).digest('hex').slice(0, 10)}`;
        if (fingerprints.size < 256) fingerprints.set(snap, fp);
      }
      return fp;
    },
  };
  return Object.freeze(persona);
}

/**
 * Models whose chat answers carry `system_fingerprint: null`: gpt-3.5-turbo, the original gpt-4
 * snapshots and the gpt-5 family (recorded 2025-08 to 2026-03 on gpt-3.5-turbo-0125, gpt-4-0613 and
 * gpt-5-2025-08-07; gpt-4o, gpt-4o-mini and gpt-4.1 carry `fp_…` in the same months).
 */
function withoutFingerprint(snapshot: string): boolean {
  return snapshot.startsWith('gpt-3.5') || snapshot.startsWith('gpt-5') || snapshot === 'gpt-4' || /^gpt-4-\d{4}/.test(snapshot);
}

export interface AwsPersona {
  /** 12 digits, decoded from the access key id so STS and ARNs agree with it */
  readonly accountId: string;
  readonly userName: string;
  /** `arn:aws:iam::<account>:user/<name>` (GetCallerIdentity `Arn`, AccessDenied messages) */
  readonly arn: string;
  /** `AIDA` + 17 base32 (GetCallerIdentity `UserId`), encoding the same account */
  readonly userId: string;
}

const AWS_USERS = ['ci-deploy', 'terraform', 'bedrock-app', 'svc-llm-gateway', 'github-actions', 'jenkins', 'backup-agent', 'data-pipeline', 'ml-inference', 'app-prod'] as const;

/**
 * The IAM user behind an AWS lure access key. The account comes from the key id itself (B6), so
 * a scanner that decodes it and STS GetCallerIdentity agree; keys issued before ~2019 (5th char
 * I/J) carry no account, and get a stable one derived from the key id instead.
 */
export function awsPersona(accessKeyId: string): AwsPersona {
  const akid = String(accessKeyId);
  const r = seededRandom(createHash('sha256').update(akid).digest('hex'), 'aws:user');
  let accountId = decodeAwsAccountId(akid);
  if (accountId === null) accountId = String(r.range(100_000_000_000, 999_999_999_999));
  const userName = r.pick(AWS_USERS);
  const idRng = seededRandom(akid, 'aws:userid');
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => idRng.int(256));
  return Object.freeze({
    accountId,
    userName,
    arn: `arn:aws:iam::${accountId}:user/${userName}`,
    userId: encodeAwsUniqueId('AIDA', accountId, bytes, 17),
  });
}
