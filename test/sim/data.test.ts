/**
 * Profiles and flows are data: the built-in catalog is complete, a new file in --sim-dir adds a
 * client or a model family with no code, and broken or hostile files are refused with the file,
 * the dotted path and a clear message. Templates: filters, typed values, and no way for a
 * parameter to break out of a header or the JSON body.
 */
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinSimDir, SimDataError } from '../../src/sim/files.js';
import { loadCatalog } from '../../src/sim/flows.js';
import { buildRequest, encodeRequest } from '../../src/sim/request.js';
import { renderJson, renderString, TemplateError, uriEncode } from '../../src/sim/template.js';
import { formatJson } from '../../src/sim/json.js';
import { sim } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'honeygate-simdata-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A --sim-dir holding the given files (path relative to the dir → text). */
function simDir(files: Record<string, string>): string {
  const dir = join(root, `d${n++}`);
  mkdirSync(join(dir, 'profiles'), { recursive: true });
  mkdirSync(join(dir, 'flows'), { recursive: true });
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  return dir;
}

async function issuesOf(files: Record<string, string>): Promise<string[]> {
  try {
    await loadCatalog([builtinSimDir(), simDir(files)]);
    return [];
  } catch (e: unknown) {
    if (!(e instanceof SimDataError)) throw e;
    return e.issues.map((i) => `${i.file.split('/').slice(-2).join('/')}: ${i.path}: ${i.message}`);
  }
}

const catalog = await loadCatalog();

describe('the built-in catalog', () => {
  it('has the client profiles, server profiles and flows the issue asks for', () => {
    const clients = [...catalog.profiles.values()].filter((p) => p.role === 'client').map((p) => p.name);
    expect(clients).toEqual(expect.arrayContaining(['python-requests', 'openai-python', 'openai-node', 'curl', 'boto3']));
    const flows = [...catalog.flows.keys()];
    expect(flows).toEqual(expect.arrayContaining(['openai-chat', 'openai-chat-stream', 'openai-models', 'openai-responses', 'bedrock-converse', 'bedrock-converse-stream']));
    const families = new Set([...catalog.flows.values()].filter((f) => f.api === 'InvokeModel').map((f) => f.family));
    expect(families.size).toBeGreaterThanOrEqual(11);
    for (const f of ['anthropic-claude-3-haiku', 'anthropic-claude-3-5-sonnet', 'amazon-titan-text', 'amazon-nova', 'meta-llama3', 'mistral-7b', 'mixtral-8x7b', 'cohere-command-r', 'ai21-jamba']) {
      expect(families.has(f), f).toBe(true);
    }
  });
});

const FLOW = `
name: my-flow
description: a flow added as data
surface: bedrock
api: InvokeModel
family: example-family
params: { model_id: "example.model-v1:0", region: us-east-1, user_prompt: hi, response_prompt: Sure thing }
request:
  method: POST
  path: /model/{{model_id|uri}}/invoke
  headers: [{ name: Content-Type, value: application/json }]
  body: { inputs: "{{user_prompt}}", parameters: { max_new_tokens: 64 } }
expect: { format: json, content_type: application/json, require: [generated_text], text: { path: generated_text } }
response:
  content_type: application/json
  body: { json: { generated_text: "{{response_prompt}}" } }
`;

describe('adding a model family or a client needs no code', () => {
  it('runs a new flow and a new profile from --sim-dir two-arm', async () => {
    const dir = simDir({
      'flows/my-flow.yaml': FLOW,
      'profiles/my-client.json': JSON.stringify({
        name: 'my-client',
        description: 'a client added as data',
        surface: 'bedrock',
        params: { region: 'us-east-1', access_key_id: 'AKIAIOSFODNN7EXAMPLE', secret_access_key: 'x'.repeat(40), security_token: '' },
        headers: [{ name: 'Host', value: '{{host}}', signed: true }, { slot: 'flow' }, { name: 'X-Amz-Date', value: '{{amz_date}}', signed: true }, ['Authorization', '{{authorization}}'], { name: 'Content-Length', value: '{{content_length}}', when: '$body' }],
        signing: { kind: 'sigv4' },
      }),
    });
    const r = await sim(['two-arm', '--sim-dir', dir, '--flow', 'my-flow', '--profile', 'my-client', '--profile', 'boto3', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { results: Array<{ profile: string; faithful: boolean; text: string }> };
    expect(out.results.map((x) => [x.profile, x.faithful, x.text])).toEqual([
      ['my-client', true, 'Sure thing'],
      ['boto3', true, 'Sure thing'],
    ]);
  });
});

const BAD: Array<[string, Record<string, string>, RegExp]> = [
  ['YAML syntax', { 'flows/x.yaml': 'name: x\n  bad: [' }, /flows\/x\.yaml: : YAML \(line \d+\)/],
  ['file name differs from name', { 'flows/x.yaml': FLOW }, /x\.yaml: name: must equal the file name/],
  ['unknown key', { 'flows/my-flow.yaml': `${FLOW}\nextra: 1\n` }, /my-flow\.yaml: : Unrecognized key/],
  ['bad header name', { 'flows/my-flow.yaml': FLOW.replace('name: Content-Type', 'name: "Content Type"') }, /request\.headers\.0.*not a header name/],
  ['bad when', { 'flows/my-flow.yaml': FLOW.replace('value: application/json }', 'value: application/json, when: "$always" }') }, /request\.headers\.0.*parameter name or \$body/],
  ['missing expect', { 'flows/my-flow.yaml': FLOW.replace(/^expect:.*$/m, '') }, /my-flow\.yaml: expect: /],
  ['Infinity in a body', { 'flows/my-flow.yaml': FLOW.replace('max_new_tokens: 64', 'max_new_tokens: .inf') }, /request\.body: not plain JSON data/],
  ['upper-case parameter', { 'flows/my-flow.yaml': FLOW.replace('region: us-east-1', 'Region: us-east-1') }, /params\.Region: parameter names are lower_snake_case/],
  ['payload and bytes', { 'flows/my-flow.yaml': FLOW.replace('body: { json: { generated_text: "{{response_prompt}}" } }', 'body: { eventstream: [{ event: chunk, payload: {}, bytes: {} }] }') }, /give exactly one of payload or bytes/],
  ['two flow slots', { 'profiles/p.yaml': 'name: p\ndescription: d\nsurface: openai\nheaders: [{slot: flow}, {slot: flow}]\n' }, /p\.yaml: headers: at most one \{slot: flow\}/],
  ['second default profile', { 'profiles/p.yaml': 'name: p\ndescription: d\nsurface: openai\ndefault: true\nheaders: [[Host, "{{host}}"]]\n' }, /more than one default client profile for openai/],
  ['alias bomb', { 'flows/b.yaml': `a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n` }, /b\.yaml: : YAML.*(alias|Excessive)/i],
  ['broken JSON', { 'profiles/j.json': '{"name": "j",' }, /j\.json: : JSON/],
  ['not a mapping', { 'flows/s.yaml': '- just\n- a list\n' }, /s\.yaml: : /],
];

describe('broken data files are refused with file, path and message', () => {
  for (const [name, files, message] of BAD) {
    it(name, async () => {
      const issues = await issuesOf(files);
      expect(issues.join('\n')).toMatch(message);
    });
  }

  it('a SigV4 profile that does not sign Host is refused when building', async () => {
    const dir = simDir({
      'profiles/nohost.yaml': 'name: nohost\ndescription: d\nsurface: bedrock\nparams: { access_key_id: AKIAIOSFODNN7EXAMPLE, secret_access_key: abcd }\nheaders: [[Host, "{{host}}"], {name: X-Amz-Date, value: "{{amz_date}}", signed: true}, [Authorization, "{{authorization}}"]]\nsigning: { kind: sigv4 }\n',
    });
    const r = await sim(['run', '--dry-run', '--sim-dir', dir, '--profile', 'nohost', '--flow', 'bedrock-converse']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the Host header must be signed/);
  });

  it('the CLI exits 2 and lists the problems', async () => {
    const dir = simDir({ 'flows/x.yaml': 'name: y\n' });
    const r = await sim(['list', '--sim-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid profile\/flow files:\n {2}.*x\.yaml/);
  });
});

describe('templates', () => {
  it('fills parameters, filters and generators', () => {
    expect(renderString('/model/{{m|uri}}/x', { m: 'anthropic.claude-v2:1' }, 't')).toBe('/model/anthropic.claude-v2%3A1/x');
    expect(uriEncode("a/b c!'()*~")).toBe('a%2Fb%20c%21%27%28%29%2A~');
    expect(renderJson({ n: '{{n|int}}', f: '{{f|number}}', b: '{{b|bool}}', j: '{{j|json}}', s: 'x{{n}}' }, { n: '5', f: '0.5', b: 'true', j: '[1,"a"]' }, 't')).toEqual({ n: 5, f: 0.5, b: true, j: [1, 'a'], s: 'x5' });
    expect(renderString('{{$uuid}}', {}, 't')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(renderString('{{$hex:32}}', {}, 't')).toMatch(/^[0-9a-f]{32}$/);
    expect(renderString('{{$amz_date}}', {}, 't', new Date('2025-01-30T20:38:27.123Z'))).toBe('20250130T203827Z');
  });

  it('refuses unknown names, bad typed values and malformed templates', () => {
    expect(() => renderString('{{nope}}', {}, 'here')).toThrow(/here: unknown parameter \{\{nope\}\}/);
    expect(() => renderJson('{{n|int}}', { n: '5x' }, 'here')).toThrow(TemplateError);
    expect(() => renderString('{{n|shout}}', { n: 'a' }, 'here')).toThrow(/unknown filter/);
    expect(() => renderString('{{ broken', {}, 'here')).toThrow(/malformed template/);
    expect(() => renderString('{{$nope}}', {}, 'here')).toThrow(/unknown generator/);
  });

  it('a parameter can never add a header line (CLI exit 2)', async () => {
    for (const bad of ['python-requests/2\r\nX-Injected: 1', 'a\nb', 'nul\u0000', 'bell\u0007']) {
      const r = await sim(['run', '--dry-run', '--flow', 'openai-models', '--profile', 'python-requests', '--param', `user_agent=${bad}`]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/header User-Agent/);
    }
  });

  it('prompts of any text stay inside the JSON body, in every client layout (fast-check)', async () => {
    const flow = catalog.flows.get('openai-chat');
    const profiles = ['python-requests', 'openai-python', 'openai-node', 'curl'].map((p) => catalog.profiles.get(p));
    if (!flow || profiles.some((p) => !p)) throw new Error('missing data');
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 80 }), fc.constantFrom(...profiles), async (prompt, profile) => {
        if (!profile) return false;
        const req = await buildRequest(profile, flow, { target: new URL('http://127.0.0.1:9'), viaProxy: false, params: { user_prompt: prompt } });
        const bytes = encodeRequest(req);
        const head = bytes.subarray(0, bytes.indexOf('\r\n\r\n')).toString('latin1');
        const body = JSON.parse(bytes.subarray(bytes.indexOf('\r\n\r\n') + 4).toString('utf8')) as { messages: Array<{ content: string }> };
        return head.split('\r\n').length === req.headers.length + 1 && body.messages[1]?.content === prompt && req.body.length === Number(req.vars['content_length']);
      }),
      { numRuns: 200 },
    );
  });

  it('writes JSON as Python json.dumps and as JSON.stringify do', () => {
    const v = { a: 'h\u00e9 \u{1F600}', b: [1, 0.5, true, null], c: {} };
    expect(formatJson(v, { style: 'python', ascii: true, order: 'as-written' })).toBe('{"a": "h\\u00e9 \\ud83d\\ude00", "b": [1, 0.5, true, null], "c": {}}');
    expect(formatJson(v, { style: 'compact', ascii: false, order: 'as-written' })).toBe(JSON.stringify(v));
    expect(formatJson(v, { style: 'pretty2', ascii: false, order: 'as-written' })).toBe(`${JSON.stringify(v, null, 2)}\n`);
  });
});
