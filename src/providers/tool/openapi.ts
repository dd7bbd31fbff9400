/**
 * Positive security from the API's own description (issue 10, part 6): the OpenAPI 3.0 / 3.1
 * document a GPT action was registered with is the allow list. openapi-backend (ajv inside) routes a
 * request to its operation and validates path, query, header parameters and the JSON body against
 * the document before the API sees it; the same document gives the lure its plausible answers
 * (openapi-backend's mock: the response `example`s, else data built from the response schema).
 * This module is the one place that touches openapi-backend.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { OpenAPIBackend, type Document } from 'openapi-backend';
import { parse as parseYaml } from 'yaml';

export interface OperationMatch {
  /** operationId, or `METHOD /path/template` when the document gives none */
  readonly id: string;
  readonly operationId?: string;
  readonly method: string;
  readonly template: string;
}

export type OpenApiCheck =
  | { readonly kind: 'ok'; readonly operation: OperationMatch }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'invalid'; readonly operation: OperationMatch; readonly problems: string[] };

export interface OpenApiRequest {
  readonly method: string;
  /** the path relative to the route prefix, without the query */
  readonly path: string;
  readonly query: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** parsed JSON body, or undefined when there is none */
  readonly body: unknown;
}

const MAX_PROBLEMS = 5;

/** The string formats OpenAPI documents use most (JSON Schema 2020-12 §7.3); others are not checked. */
const FORMATS = {
  uri: (s: string): boolean => URL.canParse(s),
  url: (s: string): boolean => URL.canParse(s),
  email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  date: /^\d{4}-\d{2}-\d{2}$/,
  'date-time': /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
  ipv4: (s: string): boolean => isIP(s) === 4,
  ipv6: (s: string): boolean => isIP(s) === 6,
  int32: true,
  int64: true,
  float: true,
  double: true,
  byte: true,
  binary: true,
  password: true,
} as const;

export class OpenApiGuard {
  readonly #api: OpenAPIBackend;
  readonly #validateBody: boolean;

  private constructor(api: OpenAPIBackend, validateBody: boolean) {
    this.#api = api;
    this.#validateBody = validateBody;
  }

  /** Load and check a document (YAML or JSON); throws with the reason when it is not valid OpenAPI 3. */
  static async load(file: string, validateBody: boolean): Promise<OpenApiGuard> {
    const text = await readFile(file, 'utf8');
    const doc: unknown = parseYaml(text, { maxAliasCount: 100 });
    return OpenApiGuard.fromDocument(doc, validateBody);
  }

  static async fromDocument(doc: unknown, validateBody: boolean): Promise<OpenApiGuard> {
    if (doc === null || typeof doc !== 'object' || typeof (doc as { openapi?: unknown }).openapi !== 'string' || !/^3\./.test((doc as { openapi: string }).openapi)) {
      throw new Error('not an OpenAPI 3 document (no "openapi: 3.x")');
    }
    const api = new OpenAPIBackend({
      definition: structuredClone(doc) as Document,
      strict: true,
      validate: true,
      ignoreTrailingSlashes: true,
      coerceTypes: true,
      ajvOpts: { allErrors: true, strict: false, logger: false, formats: FORMATS },
    });
    await api.init();
    return new OpenApiGuard(api, validateBody);
  }

  check(req: OpenApiRequest): OpenApiCheck {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = v;
    const request = { method: req.method.toLowerCase(), path: req.path === '' ? '/' : req.path, headers, query: req.query, body: req.body };
    const op = this.#api.matchOperation(request);
    if (!op) return { kind: 'unknown' };
    const operationId = typeof op.operationId === 'string' ? op.operationId : undefined;
    const operation: OperationMatch = {
      id: operationId ?? `${req.method.toUpperCase()} ${op.path}`,
      method: req.method.toUpperCase(),
      template: op.path,
      ...(operationId !== undefined ? { operationId } : {}),
    };
    if (operationId === undefined) return { kind: 'ok', operation };
    const result = this.#api.validateRequest(this.#validateBody ? request : { ...request, body: undefined }, op);
    if (result.valid) return { kind: 'ok', operation };
    const problems = (result.errors ?? []).slice(0, MAX_PROBLEMS).map((e) => `${e.instancePath === '' ? '(request)' : e.instancePath} ${e.message ?? 'is invalid'}`);
    if (!this.#validateBody && problems.every((p) => p.startsWith('/requestBody'))) return { kind: 'ok', operation };
    return { kind: 'invalid', operation, problems };
  }

  /** A plausible answer for an operation: its example, else data built from its response schema. */
  mock(operationId: string): { status: number; body: unknown } | null {
    try {
      const { status, mock } = this.#api.mockResponseForOperation(operationId) as { status: number; mock: unknown };
      return { status: status >= 200 && status < 600 ? status : 200, body: mock ?? {} };
    } catch (e: unknown) {
      void e; // no response schema to build from
      return null;
    }
  }
}
