/**
 * Named CIDR presets for tool routes (issue 10, part 2): built-in lists kept as data with their
 * source and date (the ChatGPT action/plugin egress ranges), and lists loaded from a
 * file or URL in the format OpenAI publishes (`{"creationTime": …, "prefixes": [{"ipv4Prefix": …}]}`,
 * the same shape as the Google/GCP ranges files, so `ipv6Prefix` entries are read too), refreshed
 * on a schedule. A refresh that fails (unreachable, not JSON, a bad prefix, an empty list) keeps the
 * last good list; before the first good load a preset holds its `fallback` built-in, or nothing
 * (so an allow list naming it admits nobody: fail closed).
 */
import { readFile } from 'node:fs/promises';
import type { BlockList } from 'node:net';
import { cidrList, inList } from '../../core/identity.js';
import type { CidrPresetConfig } from './config.js';
import { isCidr } from '../../config/primitives.js';

export interface BuiltinPreset {
  readonly source: string;
  /** when the list was taken from its source */
  readonly date: string;
  readonly cidrs: readonly string[];
}

/**
 * The ChatGPT ranges change: prefer a `cidr_presets` entry with `url: https://openai.com/chatgpt-connectors.json`
 * and `fallback: chatgpt-actions`. These copies are for offline starts.
 */
export const BUILTIN_PRESETS: Readonly<Record<string, BuiltinPreset>> = Object.freeze({
  'chatgpt-actions': {
    source:
      'OpenAI "Actions in production" page (platform.openai.com/docs/actions/production), historical egress list, as recorded in honeygate wire-spec PART C; current list: https://openai.com/chatgpt-connectors.json',
    date: '2026-11-23',
    cidrs: [
      '23.102.140.112/28',
      '13.66.11.96/28',
      '104.210.133.240/28',
      '70.37.60.192/28',
      '20.97.188.144/28',
      '20.161.76.48/28',
      '52.234.32.208/28',
      '52.156.132.32/28',
      '40.84.220.192/28',
      '23.98.178.64/28',
      '51.8.155.32/28',
      '20.246.77.240/28',
      '172.178.141.0/28',
      '172.178.141.192/28',
      '40.84.180.128/28',
    ],
  },
  'chatgpt-plugins': {
    source: 'OpenAI plugin docs (2023): plugins called from 23.102.140.112/28 only, as recorded in honeygate wire-spec PART C',
    date: '2026-11-23',
    cidrs: ['23.102.140.112/28'],
  },
  loopback: { source: 'RFC 1122 §3.2.1.3, RFC 4291 §2.5.3', date: '2026-11-23', cidrs: ['127.0.0.0/8', '::1/128'] },
  private: {
    source: 'RFC 1918, RFC 4193 (unique local), RFC 3927 / RFC 4291 (link local)',
    date: '2026-11-23',
    cidrs: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7', '169.254.0.0/16', 'fe80::/10'],
  },
});

export const BUILTIN_PRESET_NAMES: ReadonlySet<string> = new Set(Object.keys(BUILTIN_PRESETS));

/** Largest list document read (the published files are a few KiB). */
const MAX_PRESET_BYTES = 1024 * 1024;

export class PresetFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PresetFormatError';
  }
}

export interface PublishedList {
  readonly creationTime?: string;
  readonly cidrs: string[];
}

/** Parse the published format; throws PresetFormatError with what is wrong. */
export function parsePublishedList(text: string): PublishedList {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e: unknown) {
    throw new PresetFormatError(`not JSON (${e instanceof Error ? e.message : 'parse error'})`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new PresetFormatError('not a JSON object');
  const prefixes = (doc as { prefixes?: unknown }).prefixes;
  if (!Array.isArray(prefixes)) throw new PresetFormatError('no "prefixes" array');
  const cidrs: string[] = [];
  prefixes.forEach((p: unknown, i) => {
    const entry = p !== null && typeof p === 'object' ? (p as Record<string, unknown>) : {};
    const value = entry['ipv4Prefix'] ?? entry['ipv6Prefix'];
    if (typeof value !== 'string' || !isCidr(value)) throw new PresetFormatError(`prefixes[${i}] has no valid ipv4Prefix or ipv6Prefix`);
    cidrs.push(value);
  });
  if (cidrs.length === 0) throw new PresetFormatError('the list is empty');
  const creationTime = (doc as { creationTime?: unknown }).creationTime;
  return typeof creationTime === 'string' ? { creationTime, cidrs } : { cidrs };
}

async function readBounded(res: Response): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > MAX_PRESET_BYTES) throw new PresetFormatError(`larger than ${MAX_PRESET_BYTES} bytes`);
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > MAX_PRESET_BYTES) throw new PresetFormatError(`larger than ${MAX_PRESET_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export interface PresetStatus {
  readonly name: string;
  readonly cidrs: number;
  /** epoch ms of the last good load (0: never; a built-in or inline list counts as loaded at start) */
  readonly loadedAt: number;
  readonly creationTime?: string;
  readonly lastError?: string;
  readonly usingFallback: boolean;
}

/** One preset loaded from a URL or file, refreshed every `refresh` ms. */
export class LoadedPreset {
  readonly name: string;
  readonly #config: CidrPresetConfig;
  readonly #onError: (name: string, message: string) => void;
  #list: BlockList | null;
  #count: number;
  #loadedAt = 0;
  #creationTime: string | undefined;
  #lastError: string | undefined;
  #usingFallback: boolean;
  #timer: NodeJS.Timeout | undefined;
  #first: Promise<boolean> | undefined;

  constructor(name: string, config: CidrPresetConfig, onError: (name: string, message: string) => void = () => {}) {
    this.name = name;
    this.#config = config;
    this.#onError = onError;
    const fallback = config.fallback !== undefined ? BUILTIN_PRESETS[config.fallback] : undefined;
    const initial = config.cidrs ?? fallback?.cidrs ?? [];
    this.#list = cidrList(initial);
    this.#count = initial.length;
    this.#usingFallback = config.cidrs === undefined && fallback !== undefined;
    if (config.cidrs !== undefined) this.#loadedAt = Date.now();
  }

  /** Load now and then every `refresh` ms (timer unref'd). Resolves with the first load's success. */
  start(): Promise<boolean> {
    if (this.#config.cidrs !== undefined) return Promise.resolve(true);
    this.#first ??= this.refresh();
    this.#timer ??= setInterval(() => void this.refresh(), this.#config.refresh);
    this.#timer.unref();
    return this.#first;
  }

  /** Resolves once the first load finished (true when it succeeded). */
  ready(): Promise<boolean> {
    return this.#first ?? this.start();
  }

  /** One load; on failure the current list stays. Never rejects. */
  async refresh(): Promise<boolean> {
    try {
      const text = await this.#read();
      const parsed = parsePublishedList(text);
      this.#list = cidrList(parsed.cidrs);
      this.#count = parsed.cidrs.length;
      this.#loadedAt = Date.now();
      this.#creationTime = parsed.creationTime;
      this.#lastError = undefined;
      this.#usingFallback = false;
      return true;
    } catch (e: unknown) {
      this.#lastError = e instanceof Error ? e.message : String(e);
      this.#onError(this.name, this.#lastError);
      return false;
    }
  }

  async #read(): Promise<string> {
    if (this.#config.file !== undefined) {
      const text = await readFile(this.#config.file, 'utf8');
      if (Buffer.byteLength(text) > MAX_PRESET_BYTES) throw new PresetFormatError(`larger than ${MAX_PRESET_BYTES} bytes`);
      return text;
    }
    const url = this.#config.url ?? '';
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000), headers: { accept: 'application/json' }, redirect: 'follow' });
    if (!res.ok) {
      await res.body?.cancel();
      throw new PresetFormatError(`HTTP ${res.status}`);
    }
    return readBounded(res);
  }

  contains(ip: string): boolean {
    return inList(this.#list, ip);
  }

  status(): PresetStatus {
    return {
      name: this.name,
      cidrs: this.#count,
      loadedAt: this.#loadedAt,
      usingFallback: this.#usingFallback,
      ...(this.#creationTime !== undefined ? { creationTime: this.#creationTime } : {}),
      ...(this.#lastError !== undefined ? { lastError: this.#lastError } : {}),
    };
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** Every preset a gateway knows: built-ins (fixed) and configured ones (loaded, refreshed). */
export class PresetRegistry {
  readonly #builtin = new Map<string, BlockList | null>();
  readonly #loaded = new Map<string, LoadedPreset>();

  constructor(configs: Readonly<Record<string, CidrPresetConfig>>, onError?: (name: string, message: string) => void) {
    for (const [name, p] of Object.entries(BUILTIN_PRESETS)) this.#builtin.set(name, cidrList(p.cidrs));
    for (const [name, c] of Object.entries(configs)) this.#loaded.set(name, new LoadedPreset(name, c, onError));
  }

  /** Start loading every configured preset; resolves when each first load has finished. */
  start(): Promise<boolean[]> {
    return Promise.all([...this.#loaded.values()].map((p) => p.start()));
  }

  /** Is `ip` in preset `name`? An unknown name holds nobody. */
  contains(name: string, ip: string): boolean {
    const loaded = this.#loaded.get(name);
    if (loaded) return loaded.contains(ip);
    return inList(this.#builtin.get(name) ?? null, ip);
  }

  get(name: string): LoadedPreset | undefined {
    return this.#loaded.get(name);
  }

  close(): void {
    for (const p of this.#loaded.values()) p.close();
  }
}
