/**
 * Real boto3/botocore (python3) against the Bedrock endpoint over HTTP/1.1: botocore signs without
 * x-amz-content-sha256, parses event streams with its own parser, and reads errors by
 * x-amzn-ErrorType — the client most key checkers and scripts are written with.
 */
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LURE, LURE_ACCOUNT, LURE_TEXT, STRANGER, startHarness, type Harness } from './harness.js';

const boto3 = (() => {
  try {
    execFileSync('python3', ['-c', 'import boto3'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const SCRIPT = fileURLToPath(new URL('./fixtures/boto3_calls.py', import.meta.url));

interface Boto3Out {
  converse: { text: string; stop: string; usage: { inputTokens: number; outputTokens: number; totalTokens: number } };
  converse_stream: { events: string[]; text: string };
  invoke: { body: { content: { text: string }[] }; headers: string[]; contentType: string };
  invoke_stream: { text: string; last: Record<string, unknown> };
  bad_model: { code: string; message: string; status: number };
  bad_key: { code: string; message: string; status: number };
  j2_stream: { code: string; message: string };
  sts: { Account: string; Arn: string; UserId: string };
  list_models: string[];
  profiles: string[];
}

describe.skipIf(!boto3)('boto3', () => {
  let h: Harness;
  let out: Boto3Out;
  beforeAll(async () => {
    h = await startHarness();
    const arg = JSON.stringify({ endpoint: h.url, id: LURE.accessKeyId, secret: LURE.secretAccessKey, badId: STRANGER.accessKeyId });
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile('python3', [SCRIPT, arg], { timeout: 60_000, env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' } }, (e, so, se) => (e ? reject(new Error(`${e.message}\n${se}`)) : resolve(so)));
    });
    out = JSON.parse(stdout) as Boto3Out;
  }, 90_000);
  afterAll(async () => {
    await h.close();
  });

  it('converse and converse_stream parse, with the lure text', () => {
    expect(out.converse.text).toBe(LURE_TEXT);
    expect(out.converse.stop).toBe('end_turn');
    expect(out.converse.usage.totalTokens).toBe(out.converse.usage.inputTokens + out.converse.usage.outputTokens);
    expect(out.converse_stream.events[0]).toBe('messageStart');
    expect(out.converse_stream.events.slice(-2)).toEqual(['messageStop', 'metadata']);
    expect(out.converse_stream.text).toBe(LURE_TEXT);
  });

  it('invoke_model keeps the header order botocore records (B1.1)', () => {
    expect(out.invoke.body.content[0]?.text).toBe(LURE_TEXT);
    expect(out.invoke.contentType).toBe('application/json');
    expect(out.invoke.headers).toEqual(['date', 'content-type', 'content-length', 'connection', 'x-amzn-requestid', 'x-amzn-bedrock-invocation-latency', 'x-amzn-bedrock-output-token-count', 'x-amzn-bedrock-input-token-count']);
  });

  it('invoke_model_with_response_stream ends with invocation metrics', () => {
    expect(out.invoke_stream.text).toBe(LURE_TEXT);
    expect(out.invoke_stream.last).toMatchObject({ stop_reason: 'stop' });
    expect(out.invoke_stream.last['amazon-bedrock-invocationMetrics']).toBeDefined();
  });

  it('errors carry the codes botocore reads from x-amzn-ErrorType', () => {
    expect(out.bad_model).toEqual({ code: 'ValidationException', message: 'The provided model identifier is invalid.', status: 400 });
    expect(out.bad_key).toEqual({ code: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.', status: 403 });
    expect(out.j2_stream).toEqual({ code: 'ValidationException', message: 'The model is unsupported for streaming' });
  });

  it('sts get_caller_identity and the control plane name the decoded account', () => {
    expect(out.sts.Account).toBe(LURE_ACCOUNT);
    expect(out.sts.Arn).toMatch(new RegExp(`^arn:aws:iam::${LURE_ACCOUNT}:user/`));
    expect(out.list_models.every((id) => id.startsWith('anthropic.'))).toBe(true);
    expect(out.profiles.every((arn) => arn.includes(`:${LURE_ACCOUNT}:inference-profile/`))).toBe(true);
    const ops = h.exchanges.map((e) => `${e.service}:${e.operation}`);
    expect(ops).toContain('sts:GetCallerIdentity');
    expect(ops).toContain('bedrock:ListInferenceProfiles');
  });
});
