/**
 * Writing Azure OpenAI errors and JSON answers onto a response: the registry's bytes with the
 * header family each belongs to.
 */
import type { HttpResponse } from '../../core/http.js';
import { AZURE_ERRORS, azureErrorBody, type AzureErrorCode, type AzureErrorSpec } from './errors.js';
import { azureHeaders, writeAzureHead, type AzureModelHeaders } from './headers.js';

export interface AzureRenderOptions {
  /** region display name, for the service family */
  readonly region?: string;
  /** model-family headers (a deployment answered) */
  readonly model?: AzureModelHeaders;
  readonly retryAfter?: number;
  readonly head?: boolean;
}

/** Write a registry error; returns the body bytes. */
export function writeAzureError(res: HttpResponse, code: AzureErrorCode, args: readonly string[] = [], options: AzureRenderOptions = {}): number {
  const spec: AzureErrorSpec = AZURE_ERRORS[code];
  const body = azureErrorBody(code, args);
  const length = Buffer.byteLength(body);
  const headers = azureHeaders({
    family: spec.family,
    ...(spec.bare ? {} : { contentType: 'application/json', contentLength: length }),
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(spec.family === 'model' && options.model ? { model: options.model } : {}),
    ...(options.retryAfter !== undefined ? { retryAfter: options.retryAfter } : {}),
  });
  writeAzureHead(res, spec.status, headers, spec.reason);
  res.end(options.head ? undefined : body);
  return length;
}

/** Write a JSON answer of the model family (a success, or an OpenAI-shaped error of the deployment). */
export function writeAzureJson(res: HttpResponse, status: number, body: string, model: AzureModelHeaders, head = false): number {
  const length = Buffer.byteLength(body);
  writeAzureHead(res, status, azureHeaders({ family: 'model', contentType: 'application/json', contentLength: length, model }));
  res.end(head ? undefined : body);
  return length;
}

/** Write a JSON answer of the service family (listings). */
export function writeAzureServiceJson(res: HttpResponse, status: number, body: string, region: string, head = false): number {
  const length = Buffer.byteLength(body);
  writeAzureHead(res, status, azureHeaders({ family: 'service', contentType: 'application/json', contentLength: length, region }));
  res.end(head ? undefined : body);
  return length;
}
