/**
 * Every AWS error the Bedrock surface sends, as one registry of stable codes.
 * Each entry carries the HTTP status, the AWS exception name written into `x-amzn-ErrorType`, the
 * Coral namespace (auth layer `com.amazon.coral.service`, service layer `com.amazon.bedrock`), the
 * body key (`message`, or capital-M `Message` for bearer-key / missing-auth errors) and the default
 * text. An error text is a fingerprint: nothing outside this registry reaches a client.
 *
 * `renderAwsError` writes the real wire order (B4: Date, Content-Type, Content-Length, Connection,
 * x-amzn-RequestId, x-amzn-ErrorType) as a raw header array, with Date and Connection set by us so
 * node:http adds neither its own Date nor `Keep-Alive: timeout=5` (the service never sends one).
 */
import type { HttpResponse } from '../../core/http.js';
import { httpDate } from '../../util/http-date.js';
import { uuid4 } from '../../util/random.js';
import { writeHeadRaw } from '../../util/write-head.js';

export type CoralNamespace = 'com.amazon.coral.service' | 'com.amazon.bedrock';

export interface AwsErrorDef {
  /** equals the registry key (pinned by a test) */
  readonly code: string;
  readonly status: number;
  /** the exception name: `x-amzn-ErrorType` prefix and SDK error class */
  readonly type: string;
  readonly namespace: CoralNamespace;
  readonly bodyKey: 'message' | 'Message';
  /** default message; a few codes always get a computed one (skew, scope, validation details) */
  readonly message: string;
}

const CORAL: CoralNamespace = 'com.amazon.coral.service';
const BEDROCK: CoralNamespace = 'com.amazon.bedrock';

const INVALID_SIGNATURE_TEXT =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

function def(
  code: string,
  status: number,
  type: string,
  namespace: CoralNamespace,
  message: string,
  bodyKey: 'message' | 'Message' = 'message',
): AwsErrorDef {
  return { code, status, type, namespace, bodyKey, message };
}

export const BEDROCK_ERRORS = {
  // --- authentication (B5.6 step 1-2), namespace coral.service
  UnrecognizedClient: def('UnrecognizedClient', 403, 'UnrecognizedClientException', CORAL, 'The security token included in the request is invalid.'),
  InvalidSignature: def('InvalidSignature', 403, 'InvalidSignatureException', CORAL, INVALID_SIGNATURE_TEXT),
  /** `Signature expired: <t> is now earlier than <now-5m> (<now> - 5 min.)` — message computed */
  SignatureExpired: def('SignatureExpired', 403, 'InvalidSignatureException', CORAL, 'Signature expired'),
  /** `Signature not yet current: <t> is still later than <now+5m> (<now> + 5 min.)` — computed */
  SignatureNotYetCurrent: def('SignatureNotYetCurrent', 403, 'InvalidSignatureException', CORAL, 'Signature not yet current'),
  WrongServiceScope: def('WrongServiceScope', 403, 'InvalidSignatureException', CORAL, "Credential should be scoped to correct service: 'bedrock'. "),
  WrongRegionScope: def('WrongRegionScope', 403, 'InvalidSignatureException', CORAL, 'Credential should be scoped to a valid region.'),
  WrongTerminatorScope: def('WrongTerminatorScope', 403, 'InvalidSignatureException', CORAL, "Credential should be scoped with a valid terminator: 'aws4_request'. "),
  ScopeDateMismatch: def('ScopeDateMismatch', 403, 'InvalidSignatureException', CORAL, 'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP'),
  /** malformed AWS4-HMAC-SHA256 Authorization (missing Credential/SignedHeaders/Signature, no date) — computed */
  IncompleteSignature: def('IncompleteSignature', 403, 'IncompleteSignatureException', CORAL, 'Authorization header requires \'Credential\' parameter.'),
  ExpiredToken: def('ExpiredToken', 403, 'ExpiredTokenException', CORAL, 'The security token included in the request is expired'),
  /** no Authorization at all on bedrock-runtime: AccessDenied in the coral namespace, capital M [OBS gptel#1397, claude-code#45000] */
  MissingAuthorization: def('MissingAuthorization', 403, 'AccessDeniedException', CORAL, 'Authorization header is missing', 'Message'),
  BearerKeyFormat: def('BearerKeyFormat', 403, 'AccessDeniedException', CORAL, 'Invalid API Key format: Must start with pre-defined prefix', 'Message'),
  BearerKeyInvalid: def('BearerKeyInvalid', 403, 'AccessDeniedException', CORAL, 'Authentication failed: Please make sure your API Key is valid.', 'Message'),

  // --- authorization, namespace bedrock
  AccessDenied: def('AccessDenied', 403, 'AccessDeniedException', BEDROCK, "You don't have access to the model with the specified model ID."),
  /** `User: arn:aws:iam::<acct>:user/<n> is not authorized to perform: bedrock:<Action> on resource: <arn> …` — computed */
  AccessDeniedIam: def('AccessDeniedIam', 403, 'AccessDeniedException', BEDROCK, 'User is not authorized to perform this action'),

  // --- validation, namespace bedrock
  ModelIdentifierInvalid: def('ModelIdentifierInvalid', 400, 'ValidationException', BEDROCK, 'The provided model identifier is invalid.'),
  /** `Malformed input request: <violations>, please reformat your input and try again.` — computed */
  MalformedInput: def('MalformedInput', 400, 'ValidationException', BEDROCK, 'Malformed input request, please reformat your input and try again.'),
  /** Coral member-constraint text `1 validation error detected: Value … at '…' failed to satisfy constraint: …` — computed */
  ConstraintViolation: def('ConstraintViolation', 400, 'ValidationException', BEDROCK, '1 validation error detected'),
  OnDemandUnsupported: def('OnDemandUnsupported', 400, 'ValidationException', BEDROCK, 'Invocation of model ID with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model.'),
  StreamingUnsupported: def('StreamingUnsupported', 400, 'ValidationException', BEDROCK, 'The model is unsupported for streaming'),
  /** `The maximum tokens you requested exceeds the model limit of N. Try again with a maximum tokens value that is lower than N.` — computed */
  MaxTokensExceeded: def('MaxTokensExceeded', 400, 'ValidationException', BEDROCK, 'The maximum tokens you requested exceeds the model limit.'),
  /** Converse/ConverseStream on a model that has no chat form (embeddings) */
  ConverseUnsupported: def('ConverseUnsupported', 400, 'ValidationException', BEDROCK, "This action doesn't support the model that you provided. Try again with a supported text or chat model."),
  ServiceQuotaExceeded: def('ServiceQuotaExceeded', 400, 'ServiceQuotaExceededException', BEDROCK, 'Your request exceeds the service quota for your account. You can view your quotas at https://console.aws.amazon.com/servicequotas/home. Try again later.'),

  // --- resources, throttling, service faults, namespace bedrock
  ModelEndOfLife: def('ModelEndOfLife', 404, 'ResourceNotFoundException', BEDROCK, 'This model version has reached the end of its life. Please refer to the AWS documentation for more details.'),
  Throttling: def('Throttling', 429, 'ThrottlingException', BEDROCK, 'Too many requests, please wait before trying again.'),
  ThrottlingTokens: def('ThrottlingTokens', 429, 'ThrottlingException', BEDROCK, 'Too many tokens, please wait before trying again.'),
  ThrottlingDailyTokens: def('ThrottlingDailyTokens', 429, 'ThrottlingException', BEDROCK, 'Too many tokens per day, please wait before trying again.'),
  ModelNotReady: def('ModelNotReady', 429, 'ModelNotReadyException', BEDROCK, 'Model is not ready to serve inference requests. The model is being loaded. Try again later.'),
  ModelTimeout: def('ModelTimeout', 408, 'ModelTimeoutException', BEDROCK, 'Model has timed out in processing the request. Try your request again.'),
  InternalServer: def('InternalServer', 500, 'InternalServerException', BEDROCK, 'The system encountered an unexpected error during processing. Try your request again.'),
  ServiceUnavailable: def('ServiceUnavailable', 503, 'ServiceUnavailableException', BEDROCK, 'Bedrock is unable to process your request.'),

  // --- routing: a path no Bedrock operation matches (coral answers before auth)
  UnknownOperation: def('UnknownOperation', 404, 'UnknownOperationException', CORAL, ''),
} as const satisfies Record<string, AwsErrorDef>;

export type BedrockErrorCode = keyof typeof BEDROCK_ERRORS;

/** `<Type>:http://internal.amazon.com/coral/<namespace>/` (B4). */
export function errorTypeHeader(code: BedrockErrorCode): string {
  const d = BEDROCK_ERRORS[code];
  return `${d.type}:http://internal.amazon.com/coral/${d.namespace}/`;
}

/** The compact body: `{"message":"…"}` / `{"Message":"…"}`; UnknownOperation has `{}` (INF, see docs). */
export function errorBody(code: BedrockErrorCode, message?: string): Buffer {
  const d = BEDROCK_ERRORS[code];
  if (code === 'UnknownOperation') return Buffer.from('{}');
  const text = message ?? d.message;
  return Buffer.from(d.bodyKey === 'Message' ? JSON.stringify({ Message: text }) : JSON.stringify({ message: text }));
}

/**
 * Write a raw header array in wire order, without node's own Date (the arrays carry theirs).
 * HTTP/1.1: as given (Connection follows the client's keep-alive). HTTP/2 (the JS SDK's default
 * transport to Bedrock Runtime): connection-specific headers are dropped — util/write-head.ts.
 */
export function writeAwsHead(res: HttpResponse, status: number, headers: string[]): void {
  res.sendDate = false;
  writeHeadRaw(res, status, headers);
}

/** Throwable form for parsers and validators that find a client error deep inside. */
export class BedrockError extends Error {
  readonly code: BedrockErrorCode;
  readonly status: number;
  constructor(code: BedrockErrorCode, message?: string) {
    super(message ?? BEDROCK_ERRORS[code].message);
    this.name = 'BedrockError';
    this.code = code;
    this.status = BEDROCK_ERRORS[code].status;
  }
}

export interface RenderOptions {
  /** reuse a request id already chosen for this exchange */
  readonly requestId?: string;
  /** `close` when the connection must not be reused (e.g. the body was not read) */
  readonly connection?: 'keep-alive' | 'close';
  readonly now?: number;
}

/**
 * Write an AWS error byte-faithfully and end the response. Returns the number of body bytes.
 * Headers, wire order (B4): Date, Content-Type, Content-Length, Connection, x-amzn-RequestId, x-amzn-ErrorType.
 */
export function renderAwsError(res: HttpResponse, code: BedrockErrorCode, message?: string, options: RenderOptions = {}): number {
  const d = BEDROCK_ERRORS[code];
  const body = errorBody(code, message);
  const headers: string[] = [
    'Date', httpDate(options.now),
    'Content-Type', 'application/json',
    'Content-Length', String(body.length),
    'Connection', options.connection ?? 'keep-alive',
    'x-amzn-RequestId', options.requestId ?? uuid4(),
    'x-amzn-ErrorType', errorTypeHeader(code),
  ];
  writeAwsHead(res, d.status, headers);
  res.end(body);
  return body.length;
}

/** Every code the Bedrock runtime may send; handy for docs and tests. */
export const BEDROCK_ERROR_CODES = Object.keys(BEDROCK_ERRORS) as BedrockErrorCode[];

/** The text of AWS's clock-skew rejections (B4; `t` and `now` as `YYYYMMDDTHHMMSSZ`). */
export function skewMessage(kind: 'expired' | 'not-yet', amzDate: string, nowMs: number): string {
  const fmt = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const now = fmt(nowMs);
  return kind === 'expired'
    ? `Signature expired: ${amzDate} is now earlier than ${fmt(nowMs - 300_000)} (${now} - 5 min.)`
    : `Signature not yet current: ${amzDate} is still later than ${fmt(nowMs + 300_000)} (${now} + 5 min.)`;
}

export { INVALID_SIGNATURE_TEXT };
