/**
 * What thieves probe with AWS keys (issue 4 part 5): STS `GetCallerIdentity`, and the
 * Bedrock control plane calls that show what a key can do — `ListFoundationModels`
 * (`GET /foundation-models`), `GetFoundationModel`, `ListInferenceProfiles`
 * (`GET /inference-profiles`) and `GetModelInvocationLoggingConfiguration`
 * (`GET /logging/modelinvocations`, "is anyone logging my prompts?"). Every ARN and account names
 * the account the access key id decodes to (B6, `awsPersona`), so a scanner's decode, STS and the
 * Bedrock answers agree.
 *
 * Protocols:
 * - STS is the AWS Query protocol: form-encoded POST (what @aws-sdk/client-sts, botocore and the Go
 *   SDK v2 send) or GET with the query string, XML answers (`text/xml`, `x-amzn-RequestId` first:
 *   the STS API reference's sample). With `Accept: application/json` (what older key checkers sent)
 *   the same answer is JSON, `{"GetCallerIdentityResponse":{"GetCallerIdentityResult":…}}`.
 *   Errors: `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>…`.
 * - The control plane is rest-json, like the runtime; its errors are the runtime's (errors.ts).
 *
 * Which service a request is for is decided as AWS does: by the Host when it is an AWS endpoint
 * name, otherwise (honeygate reached by IP or its own name) by the SigV4 credential scope's service
 * and the path.
 */
import type { HttpResponse } from '../../core/http.js';
import { httpDate } from '../../util/http-date.js';
import { uuid4 } from '../../util/random.js';
import { type BedrockErrorCode, renderAwsError, writeAwsHead } from './errors.js';
import { CATALOG, type CatalogModel, catalogModel, geoOfRegion, type ProfileGeo } from './models.js';
import type { AwsPersona } from '../../deception/persona.js';

export type AwsService = 'bedrock-runtime' | 'bedrock' | 'sts' | 'iam';

export interface ServiceTarget {
  readonly service: AwsService;
  /** the region the Host names (`null` when the Host is not an AWS endpoint name) */
  readonly region: string | null;
  /** the SigV4 signing name this service expects in the credential scope */
  readonly signingName: 'bedrock' | 'sts' | 'iam';
}

const HOST_RE = /^(bedrock-runtime|bedrock|sts|iam)(?:-fips)?(?:\.([a-z]{2}(?:-[a-z]+)+-\d))?\.amazonaws\.com(?:\.cn)?$/;

/** The credential-scope service of a SigV4 Authorization header, without verifying anything. */
function scopeServiceOf(authorization: string | undefined): string | null {
  if (authorization === undefined) return null;
  const m = /Credential=[^/\s,]+\/\d{8}\/[^/\s,]+\/([^/\s,]+)\//.exec(authorization);
  return m ? (m[1] ?? null) : null;
}

/**
 * Which AWS service a request is for. `host` is the Host header (port allowed), `path` the raw
 * path, `authorization` the header (for its scope), `contentType` to recognise a Query-protocol POST.
 */
export function serviceOf(host: string | undefined, path: string, authorization: string | undefined, contentType: string | undefined): ServiceTarget {
  const name = (host ?? '').toLowerCase().replace(/:\d+$/, '');
  const m = HOST_RE.exec(name);
  if (m) {
    const service = m[1] as AwsService;
    // IAM is global: signed for us-east-1 whatever the Host
    const region = service === 'iam' ? 'us-east-1' : (m[2] ?? (service === 'sts' ? 'us-east-1' : null));
    return { service, region, signingName: service === 'sts' ? 'sts' : service === 'iam' ? 'iam' : 'bedrock' };
  }
  const scope = scopeServiceOf(authorization);
  const runtimePath = path.startsWith('/model/');
  if (scope === 'sts') return { service: 'sts', region: null, signingName: 'sts' };
  if (scope === 'iam') return { service: 'iam', region: 'us-east-1', signingName: 'iam' };
  if (scope === null && !runtimePath && (/[?&]Action=/.test(path) || (contentType ?? '').startsWith('application/x-www-form-urlencoded'))) {
    return { service: 'sts', region: null, signingName: 'sts' };
  }
  if (runtimePath) return { service: 'bedrock-runtime', region: null, signingName: 'bedrock' };
  if (/^\/(foundation-models|inference-profiles|logging\/|foundation-model-availability|custom-models|guardrails|provisioned-model-throughputs)/.test(path)) {
    return { service: 'bedrock', region: null, signingName: 'bedrock' };
  }
  return { service: 'bedrock-runtime', region: null, signingName: 'bedrock' };
}

export interface ProbeResult {
  readonly status: number;
  readonly bytes: number;
  /** the operation answered, for events (`GetCallerIdentity`, `ListFoundationModels` …) */
  readonly operation: string;
}

// ------------------------------------------------------------------------------------------------
// STS (Query protocol)

const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

interface StsError {
  readonly status: number;
  readonly code: string;
}

/** STS's names for the authentication refusals (AWS "Common Errors"; all 403 but InvalidAction). */
const STS_CODES: Readonly<Partial<Record<BedrockErrorCode, StsError>>> = {
  UnrecognizedClient: { status: 403, code: 'InvalidClientTokenId' },
  InvalidSignature: { status: 403, code: 'SignatureDoesNotMatch' },
  SignatureExpired: { status: 403, code: 'SignatureDoesNotMatch' },
  SignatureNotYetCurrent: { status: 403, code: 'SignatureDoesNotMatch' },
  WrongServiceScope: { status: 403, code: 'SignatureDoesNotMatch' },
  WrongRegionScope: { status: 403, code: 'SignatureDoesNotMatch' },
  WrongTerminatorScope: { status: 403, code: 'SignatureDoesNotMatch' },
  ScopeDateMismatch: { status: 403, code: 'SignatureDoesNotMatch' },
  IncompleteSignature: { status: 403, code: 'IncompleteSignature' },
  ExpiredToken: { status: 403, code: 'ExpiredToken' },
  MissingAuthorization: { status: 403, code: 'MissingAuthenticationToken' },
};

function stsMessage(code: BedrockErrorCode, message: string): string {
  if (code === 'MissingAuthorization') return 'Request is missing Authentication Token';
  if (code === 'BearerKeyFormat' || code === 'BearerKeyInvalid') {
    return "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.";
  }
  return message;
}

function wantsJson(accept: string | undefined): boolean {
  return accept !== undefined && /application\/json/i.test(accept) && !/xml/i.test(accept);
}

export function writeSts(res: HttpResponse, status: number, body: string, json: boolean, requestId: string): number {
  const buf = Buffer.from(body, 'utf8');
  writeAwsHead(res, status, [
    'x-amzn-RequestId', requestId,
    'Content-Type', json ? 'application/json' : 'text/xml',
    'Content-Length', String(buf.length),
    'Date', httpDate(),
    'Connection', 'keep-alive',
  ]);
  res.end(buf);
  return buf.length;
}

/** Render an authentication refusal on the STS endpoint in STS's words. */
export function renderStsAuthError(res: HttpResponse, code: BedrockErrorCode, message: string, accept?: string, namespace: string = STS_NS): ProbeResult {
  const mapped = STS_CODES[code] ?? { status: 403, code: 'IncompleteSignature' };
  return renderStsError(res, mapped.status, mapped.code, stsMessage(code, message), accept, namespace);
}

/** A Query-protocol error (STS, or IAM with its own namespace). */
export function renderStsError(res: HttpResponse, status: number, code: string, message: string, accept?: string, namespace: string = STS_NS): ProbeResult {
  const requestId = uuid4();
  const json = wantsJson(accept);
  const body = json
    ? JSON.stringify({ Error: { Code: code, Message: message, Type: 'Sender' }, RequestId: requestId })
    : `<ErrorResponse xmlns="${namespace}">\n  <Error>\n    <Type>Sender</Type>\n    <Code>${xmlEscape(code)}</Code>\n    <Message>${xmlEscape(message)}</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`;
  return { status, bytes: writeSts(res, status, body, json, requestId), operation: 'Error' };
}

/** Query-protocol parameters from the query string and, for a form POST, the body. */
export function queryParams(url: string, body: Buffer, contentType: string | undefined): URLSearchParams {
  const q = url.indexOf('?');
  const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  if ((contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded') && body.length > 0 && body.length <= 64 * 1024) {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.append(k, v);
  }
  return params;
}

export interface StsProbeRequest {
  readonly method: string;
  readonly url: string;
  readonly body: Buffer;
  readonly contentType?: string | undefined;
  readonly accept?: string | undefined;
  readonly persona: AwsPersona;
}

/** Answer an authenticated STS request: GetCallerIdentity for the persona, InvalidAction otherwise. */
export function serveStsProbe(req: StsProbeRequest, res: HttpResponse): ProbeResult {
  const params = queryParams(req.url, req.body, req.contentType);
  const action = params.get('Action');
  const version = params.get('Version');
  if (action === null) return renderStsError(res, 400, 'MissingAction', 'Missing Action', req.accept);
  if (action !== 'GetCallerIdentity' || version !== '2011-06-15') {
    const shown = action.length > 64 ? `${action.slice(0, 64)}` : action;
    return { ...renderStsError(res, 400, 'InvalidAction', `Could not find operation ${shown} for version ${version ?? 'NO_VERSION_SPECIFIED'}`, req.accept), operation: action.slice(0, 64) };
  }
  const requestId = uuid4();
  const p = req.persona;
  if (wantsJson(req.accept)) {
    const body = JSON.stringify({
      GetCallerIdentityResponse: {
        GetCallerIdentityResult: { Account: p.accountId, Arn: p.arn, UserId: p.userId },
        ResponseMetadata: { RequestId: requestId },
      },
    });
    return { status: 200, bytes: writeSts(res, 200, body, true, requestId), operation: 'GetCallerIdentity' };
  }
  const body =
    `<GetCallerIdentityResponse xmlns="${STS_NS}">\n` +
    `  <GetCallerIdentityResult>\n` +
    `    <Arn>${xmlEscape(p.arn)}</Arn>\n` +
    `    <UserId>${xmlEscape(p.userId)}</UserId>\n` +
    `    <Account>${p.accountId}</Account>\n` +
    `  </GetCallerIdentityResult>\n` +
    `  <ResponseMetadata>\n` +
    `    <RequestId>${requestId}</RequestId>\n` +
    `  </ResponseMetadata>\n` +
    `</GetCallerIdentityResponse>\n`;
  return { status: 200, bytes: writeSts(res, 200, body, false, requestId), operation: 'GetCallerIdentity' };
}

// ------------------------------------------------------------------------------------------------
// Bedrock control plane (rest-json)

function sendJson(res: HttpResponse, value: unknown): number {
  const buf = Buffer.from(JSON.stringify(value), 'utf8');
  writeAwsHead(res, 200, ['Date', httpDate(), 'Content-Type', 'application/json', 'Content-Length', String(buf.length), 'Connection', 'keep-alive', 'x-amzn-RequestId', uuid4()]);
  res.end(buf);
  return buf.length;
}

function modelSummary(m: CatalogModel, region: string): Record<string, unknown> {
  return {
    modelArn: `arn:aws:bedrock:${region}::foundation-model/${m.id}`,
    modelId: m.id,
    modelName: m.name,
    providerName: m.provider,
    inputModalities: [...m.input],
    outputModalities: [...m.output],
    responseStreamingSupported: m.streaming,
    customizationsSupported: [],
    inferenceTypesSupported: m.onDemand ? ['ON_DEMAND'] : ['INFERENCE_PROFILE'],
    modelLifecycle: { status: m.lifecycle },
  };
}

const GEO_REGIONS: Readonly<Record<ProfileGeo, readonly string[]>> = {
  us: ['us-east-1', 'us-east-2', 'us-west-2'],
  eu: ['eu-central-1', 'eu-west-1', 'eu-west-3', 'eu-north-1'],
  apac: ['ap-northeast-1', 'ap-south-1', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-2'],
  global: ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'ap-northeast-1'],
};

/** A stable creation date per profile (inferred from the model id's own date, else a fixed one). */
function profileDate(modelId: string): string {
  const m = /(20\d{2})(\d{2})(\d{2})/.exec(modelId);
  const base = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + 30 * 86_400_000 : Date.UTC(2024, 7, 27);
  const offset = (modelId.length * 7919) % 86_400_000;
  return new Date(Math.min(base, Date.UTC(2026, 0, 1)) + offset).toISOString();
}

function profileSummary(m: CatalogModel, geo: ProfileGeo, region: string, accountId: string): Record<string, unknown> {
  const regions = GEO_REGIONS[geo];
  const label = geo === 'global' ? 'Global' : geo.toUpperCase();
  const created = profileDate(m.id);
  const id = `${geo}.${m.id}`;
  return {
    inferenceProfileName: `${label} ${m.provider === 'Anthropic' ? 'Anthropic ' : ''}${m.name}`,
    description: `Routes requests to ${m.provider === 'Anthropic' ? 'Anthropic ' : ''}${m.name} in ${regions.slice(0, -1).join(', ')} and ${regions[regions.length - 1] ?? region}.`,
    createdAt: created,
    updatedAt: created,
    inferenceProfileArn: `arn:aws:bedrock:${region}:${accountId}:inference-profile/${id}`,
    models: regions.map((r) => ({ modelArn: `arn:aws:bedrock:${r}::foundation-model/${m.id}` })),
    inferenceProfileId: id,
    status: 'ACTIVE',
    type: 'SYSTEM_DEFINED',
  };
}

export interface ControlPlaneRequest {
  readonly method: string;
  readonly url: string;
  readonly region: string;
  readonly persona: AwsPersona;
}

function decodeComponent(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** Answer an authenticated Bedrock control-plane request. */
export function serveControlPlaneProbe(req: ControlPlaneRequest, res: HttpResponse): ProbeResult {
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1));
  const unknown = (): ProbeResult => ({ status: 404, bytes: renderAwsError(res, 'UnknownOperation'), operation: 'Unknown' });
  if (req.method !== 'GET') return unknown();
  const available = CATALOG.filter((m) => m.lifecycle === 'ACTIVE' || m.family !== 'ai21-j2');

  if (path === '/foundation-models') {
    const provider = params.get('byProvider')?.toLowerCase();
    const modality = params.get('byOutputModality');
    const inference = params.get('byInferenceType');
    const list = available.filter((m) =>
      (provider === undefined || m.provider.toLowerCase() === provider || m.id.startsWith(`${provider}.`)) &&
      (modality === null || (m.output as readonly string[]).includes(modality)) &&
      (inference === null || (inference === 'ON_DEMAND' ? m.onDemand : inference === 'PROVISIONED' ? false : true)),
    );
    return { status: 200, bytes: sendJson(res, { modelSummaries: list.map((m) => modelSummary(m, req.region)) }), operation: 'ListFoundationModels' };
  }
  if (path.startsWith('/foundation-models/')) {
    const id = decodeComponent(path.slice('/foundation-models/'.length));
    const arn = id === null ? null : /^arn:aws:bedrock:[a-z0-9-]*::foundation-model\/(.+)$/.exec(id);
    const model = id === null ? undefined : catalogModel(arn ? (arn[1] ?? '') : id);
    if (!model) return { status: 400, bytes: renderAwsError(res, 'ModelIdentifierInvalid'), operation: 'GetFoundationModel' };
    return { status: 200, bytes: sendJson(res, { modelDetails: modelSummary(model, req.region) }), operation: 'GetFoundationModel' };
  }
  if (path === '/logging/modelinvocations') {
    // no invocation logging configured: the answer a thief hopes for
    return { status: 200, bytes: sendJson(res, {}), operation: 'GetModelInvocationLoggingConfiguration' };
  }
  if (path === '/inference-profiles') {
    const type = params.get('type') ?? 'SYSTEM_DEFINED';
    const geo = geoOfRegion(req.region);
    const all: Record<string, unknown>[] = [];
    if (type === 'SYSTEM_DEFINED') {
      for (const m of available) {
        for (const g of m.profiles) if (g === geo || g === 'global') all.push(profileSummary(m, g, req.region, req.persona.accountId));
      }
    }
    const max = Math.min(1000, Math.max(1, Number(params.get('maxResults') ?? '1000') || 1000));
    const start = Number(Buffer.from(params.get('nextToken') ?? '', 'base64').toString('utf8') || '0') || 0;
    const page = all.slice(start, start + max);
    const out: Record<string, unknown> = { inferenceProfileSummaries: page };
    if (start + max < all.length) out['nextToken'] = Buffer.from(String(start + max), 'utf8').toString('base64');
    return { status: 200, bytes: sendJson(res, out), operation: 'ListInferenceProfiles' };
  }
  return unknown();
}
