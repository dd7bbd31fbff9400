/**
 * `honeygate sim` arguments: every malformed or contradictory command line exits 2 with a message;
 * list and dry-run print what they should, never a secret; two-arm exits 0 when faithful.
 */
import { describe, expect, it } from 'vitest';
import { sim } from './helpers.js';

const USAGE_ERRORS: Array<[string[], RegExp]> = [
  [[], /usage: honeygate sim/],
  [['fly'], /unknown command/],
  [['run', '--target', 'http://127.0.0.1:9', '--bogus'], /Unknown option/],
  [['run', '--target', 'http://127.0.0.1:9', 'extra'], /positional/i],
  [['run'], /--target URL is required/],
  [['run', '--target', 'ftp://127.0.0.1'], /scheme must be http: or https:/],
  [['run', '--target', 'not a url'], /not a URL/],
  [['run', '--target', 'http://127.0.0.1:9/?q=1'], /no query/],
  [['run', '--target', 'http://127.0.0.1:9', '--proxy', 'https://127.0.0.1:3128'], /--proxy: scheme must be http:/],
  [['run', '--target', 'http://127.0.0.1:9', '--param', 'no_equals'], /--param: expected name=value/],
  [['run', '--target', 'http://127.0.0.1:9', '--param', 'Bad-Name=1'], /--param: expected name=value/],
  [['run', '--target', 'http://127.0.0.1:9', '--param-env', 'api_key=NOT_SET_ANYWHERE'], /NOT_SET_ANYWHERE is not set/],
  [['run', '--target', 'http://127.0.0.1:9', '--expect', 'maybe'], /--expect: allowed or blocked/],
  [['run', '--target', 'http://127.0.0.1:9', '--flow', 'no-such-flow'], /no flow matches no-such-flow/],
  [['run', '--target', 'http://127.0.0.1:9', '--profile', 'netscape'], /unknown profile netscape/],
  [['run', '--target', 'http://127.0.0.1:9', '--profile', 'openai-api'], /is a server profile/],
  [['run', '--target', 'http://127.0.0.1:9', '--profile', 'curl', '--flow', 'bedrock-converse'], /no selected profile speaks it/],
  [['run', '--target', 'http://127.0.0.1:9', '--timeout', 'soon'], /--timeout: not a duration/],
  [['run', '--target', 'http://127.0.0.1:9', '--ca', '/nonexistent/ca.pem'], /--ca: cannot read/],
  [['two-arm', '--target', 'http://127.0.0.1:9'], /Unknown option/],
  [['run', '--dry-run', '--flow', 'bedrock-converse', '--param', 'amz_date=yesterday'], /amz_date must look like/],
  [['run', '--dry-run', '--flow', 'bedrock-converse', '--param', 'max_tokens=many'], /is not an integer/],
];

describe('usage errors exit 2', () => {
  for (const [argv, message] of USAGE_ERRORS) {
    it(argv.join(' ') || '(no arguments)', async () => {
      const r = await sim(argv);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    });
  }
});

describe('list, dry-run, help', () => {
  it('lists profiles and flows, as text and JSON', async () => {
    const text = await sim(['list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^profiles:/);
    expect(text.stdout).toMatch(/boto3 +client +bedrock \*/);
    const json = await sim(['list', '--json']);
    const doc = JSON.parse(json.stdout) as { profiles: unknown[]; flows: Array<{ name: string }> };
    expect(doc.flows.length).toBeGreaterThanOrEqual(20);
  });

  it('dry-run prints the exact request for the real host, with secrets redacted', async () => {
    const key = 'sk-proj-VISIBLEkeyMUSTnotPRINT0000T3BlbkFJVISIBLEkeyMUSTnotPRINT0000';
    const r = await sim(['run', '--dry-run', '--profile', 'openai-node', '--flow', 'openai-chat', '--param', `api_key=${key}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(key);
    expect(r.stdout).toMatch(/^POST \/v1\/chat\/completions HTTP\/1\.1\r\nhost: api\.openai\.com\r\nconnection: keep-alive\r\n/m);
    expect(r.stdout).toMatch(new RegExp(`authorization: Bearer \\[redacted len=${key.length} sha256:[0-9a-f]{12}\\]`));
    // over https the Node SDK asks for brotli too
    expect(r.stdout).toMatch(/accept-encoding: br, gzip, deflate/);
    const b = await sim(['run', '--dry-run', '--flow', 'bedrock-invoke-meta-llama3', '--param', 'region=eu-west-3']);
    expect(b.stdout).toMatch(/^Host: bedrock-runtime\.eu-west-3\.amazonaws\.com\r$/m);
    expect(b.stdout).toMatch(/Credential=ASIAY34FZKBOKMUTVV7A\/\d{8}\/eu-west-3\/bedrock\/aws4_request/);
    expect(b.stdout).not.toContain('wJalrXUtnFEMI');
    expect(b.stdout).not.toContain('IQoJb3JpZ2luX2VjEXAMPLEsimulated');
  });

  it('takes --param values literally: {{ in a prompt is text, not a template', async () => {
    const r = await sim(['run', '--dry-run', '--flow', 'openai-chat', '--param', 'user_prompt=say {{oops}} {{$uuid}}']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('say {{oops}} {{$uuid}}');
  });

  it('prints help with exit 0', async () => {
    expect((await sim(['--help'])).code).toBe(0);
    expect((await sim(['run', '--help'])).stdout).toMatch(/usage/);
  });
});

describe('two-arm from the CLI', () => {
  it('exits 0 when every flow is faithful, with the table', async () => {
    const r = await sim(['two-arm', '--profile', 'all', '--flow', 'openai-responses-stream', '--flow', 'bedrock-invoke-stream-*', '--param', 'response_prompt=Access granted, agent.']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/FAITHFUL/);
    expect(r.stdout).not.toMatch(/ NO /);
  });

  it('runs through a proxy and exits 1 when the proxy blocks', async () => {
    const r = await sim(['two-arm', '--flow', 'openai-models', '--proxy', 'http://127.0.0.1:9', '--timeout', '500ms', '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { passed: boolean; results: Array<{ outcome: string }> };
    expect(doc.passed).toBe(false);
    expect(doc.results[0]?.outcome).toBe('blocked');
  });
});
