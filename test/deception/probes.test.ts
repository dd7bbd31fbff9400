/**
 * accountProbe (src/deception/probes.ts): the key-checker probe set of trufflehog's detector and
 * analyzer (pkg/detectors/openai/openai.go, pkg/analyzer/analyzers/openai/{openai,scopes}.go) must
 * get the status codes those tools read as "valid normal key", and the bodies they parse.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openaiPersona } from '../../src/deception/persona.js';
import { accountProbe, meObject } from '../../src/providers/openai/probes.js';

const persona = openaiPersona(createHash('sha256').update('probe').digest('hex'));
const SPEED = { speed: 1 }; // trufflehog POST_PAYLOAD

describe('GET /v1/me', () => {
  it('answers 200 with every field trufflehog parses, consistent with the persona', () => {
    const a = accountProbe('GET', '/v1/me', persona, undefined);
    expect(a?.status).toBe(200);
    const me = a?.body as Record<string, unknown>;
    expect(Object.keys(me)).toEqual([
      'object', 'id', 'email', 'name', 'picture', 'created', 'phone_number', 'mfa_flag_enabled', 'orgs', 'has_projects_archive', 'has_payg_project_spend_limit', 'amr',
    ]);
    expect(me['object']).toBe('user');
    expect(me['id']).toBe(persona.userId);
    expect(me['email']).toBe(persona.email);
    const orgs = (me['orgs'] as { object: string; data: Array<Record<string, unknown>> });
    expect(orgs.object).toBe('list');
    // the org the key belongs to is the default one and carries the project
    const def = orgs.data.find((o) => o['is_default'] === true);
    expect(def?.['id']).toBe(persona.orgId);
    expect(def?.['name']).toBe(persona.orgSlug);
    expect((def?.['projects'] as { data: Array<{ id: string }> }).data[0]?.id).toBe(persona.projectId);
    // every user has a personal org described as trufflehog prints it
    const personal = orgs.data.find((o) => o['personal'] === true);
    expect(personal?.['title']).toBe('Personal');
    expect(personal?.['description']).toBe(`Personal org for ${persona.email}`);
    for (const o of orgs.data) {
      expect(Object.keys(o)).toEqual(['object', 'id', 'created', 'title', 'name', 'description', 'personal', 'settings', 'parent_org_id', 'is_default', 'role', 'projects']);
      expect(o['role']).toBe('owner');
    }
    expect(orgs.data.filter((o) => o['is_default'] === true)).toHaveLength(1);
  });

  it('is the same on every call (a checker re-running sees the same account)', () => {
    expect(JSON.stringify(meObject(persona))).toBe(JSON.stringify(meObject(openaiPersona(persona.keyHashHex))));
  });
});

describe('trufflehog analyzer probe set (scopes.go)', () => {
  it('GET /v1/organizations → 200: the key\'s organizations, its own marked is_default (key checkers read it)', () => {
    const a = accountProbe('GET', '/v1/organizations', persona, undefined);
    expect(a?.status).toBe(200);
    const list = a?.body as { object: string; data: { id: string; is_default: boolean; object: string }[] };
    expect(list.object).toBe('list');
    expect(list.data.filter((o) => o.is_default)).toHaveLength(1);
    expect(list.data.every((o) => o.object === 'organization' && /^org-/.test(o.id))).toBe(true);
  });

  it('answers every probe with the status trufflehog reads as "has this scope"', () => {
    const cases: Array<[string, string, unknown, number, { openaiBeta?: string; contentType?: string }]> = [
      ['GET', '/v1/models', undefined, 200, {}],
      ['POST', '/v1/images/generations', SPEED, 400, {}],
      ['GET', '/v1/assistants', undefined, 400, {}],
      ['POST', '/v1/assistants', SPEED, 400, {}],
      ['GET', '/v1/threads/1', undefined, 400, {}],
      ['POST', '/v1/threads', SPEED, 400, {}],
      ['GET', '/v1/fine_tuning/jobs', undefined, 200, {}],
      ['POST', '/v1/fine_tuning/jobs', SPEED, 400, {}],
      ['GET', '/v1/files', undefined, 200, {}],
      ['POST', '/v1/files', SPEED, 415, { contentType: 'application/json' }],
    ];
    for (const [method, path, body, status, opts] of cases) {
      expect(accountProbe(method, path, persona, body, opts)?.status, `${method} ${path}`).toBe(status);
    }
  });

  it('uses the recorded texts for the beta header and the files content type', () => {
    const beta = accountProbe('GET', '/v1/assistants', persona, undefined);
    expect(beta).toEqual({
      status: 400,
      body: {
        error: {
          message: "You must provide the 'OpenAI-Beta' header to access the Assistants API. Please try again by setting the header 'OpenAI-Beta: assistants=v2'.",
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_beta',
        },
      },
      layer: 'legacy',
    });
    const files = accountProbe('POST', '/v1/files', persona, SPEED, { contentType: 'application/json' });
    expect((files?.body as { error: { message: string } }).error.message).toBe(
      "Invalid Content-Type header (application/json), expected multipart/form-data. (HINT: If you're using curl, you can pass -H 'Content-Type: multipart/form-data')",
    );
    expect(accountProbe('POST', '/v1/files', persona, undefined, { contentType: 'multipart/form-data; boundary=x' })).toBeNull();
    // without the header the upload is answered as the checkers' JSON post
    expect((accountProbe('POST', '/v1/files', persona, SPEED)?.body as { error: { message: string } }).error.message).toMatch(/^Invalid Content-Type header \(application\/json\)/);
  });

  it('with the beta header, assistants behave like an empty account', () => {
    const beta = { openaiBeta: 'assistants=v2' };
    expect(accountProbe('GET', '/v1/assistants', persona, undefined, beta)).toMatchObject({ status: 200, body: { object: 'list', data: [], has_more: false } });
    expect(accountProbe('GET', '/v1/threads/thread_abc', persona, undefined, beta)).toMatchObject({ status: 404 });
    expect(accountProbe('POST', '/v1/assistants', persona, { model: 'gpt-4o', name: 'Tutor' }, beta)).toMatchObject({ status: 200, body: { object: 'assistant', model: 'gpt-4o', name: 'Tutor', tools: [] } });
    expect(accountProbe('POST', '/v1/threads', persona, {}, beta)).toMatchObject({ status: 200, body: { object: 'thread', metadata: {}, tool_resources: {} } });
  });
});

describe('legacy billing and usage', () => {
  it('billing answers the session-key refusal, echoing the path as sent', () => {
    for (const path of ['/v1/dashboard/billing/subscription', '/v1/dashboard/billing/credit_grants', '/dashboard/billing/credit_grants', '/v1/dashboard/billing/usage']) {
      const a = accountProbe('GET', `${path}?start_date=2026-01-01&end_date=2026-01-31`, persona, undefined);
      expect(a).toEqual({
        status: 403,
        body: {
          error: {
            message: `Your request to GET ${path} must be made with a session key (that is, it can only be made from the browser). You made it with the following key type: secret.`,
            type: 'server_error',
            param: null,
            code: null,
          },
        },
        layer: 'legacy',
      });
    }
  });

  it('/v1/usage needs a date, then answers empty buckets', () => {
    expect(accountProbe('GET', '/v1/usage', persona, undefined)?.status).toBe(400);
    expect((accountProbe('GET', '/v1/usage?start_date=2026-01-01', persona, undefined)?.body as { error: { message: string } }).error.message).toBe("Missing query parameter 'date'");
    const a = accountProbe('GET', '/v1/usage?date=2026-02-28', persona, undefined);
    expect(a?.status).toBe(200);
    expect((a?.body as { object: string; data: unknown[] }).data).toEqual([]);
  });

  it('the Admin API refuses a project key with the scope it lacks', () => {
    expect(String((accountProbe('GET', '/v1/organization/costs?start_time=1', persona, undefined)?.body as { error: string }).error)).toContain('api.usage.read');
    expect(String((accountProbe('GET', '/v1/organization/projects', persona, undefined)?.body as { error: string }).error)).toContain('api.management.read');
  });
});

describe('models', () => {
  it('lists and retrieves the persona catalogue; unknown ids 404', () => {
    expect(accountProbe('GET', '/v1/models', persona, undefined)?.body).toEqual({ object: 'list', data: persona.models });
    expect(accountProbe('GET', '/v1/models/gpt-4o', persona, undefined)?.body).toEqual({ id: 'gpt-4o', object: 'model', created: 1715367049, owned_by: 'system' });
    expect(accountProbe('GET', '/v1/models/gpt-9', persona, undefined)?.status).toBe(404);
  });
});

describe('everything else', () => {
  it('returns null for paths that are not account probes', () => {
    for (const [m, p] of [['POST', '/v1/chat/completions'], ['GET', '/v1/me/'], ['DELETE', '/v1/me'], ['GET', '/v2/me'], ['POST', '/v1/dashboard/billing/usage']]) {
      expect(accountProbe(m as string, p as string, persona, undefined)).toBeNull();
    }
  });

  it('never throws on hostile paths, methods and bodies (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.oneof(fc.string(), fc.constantFrom('/v1/me', '/v1/models/%E0%A4%A', '/v1/threads/%', '/v1/files', '/v1/usage?date')), fc.jsonValue(), (m, p, body) => {
        const a = accountProbe(m, p, persona, body, { contentType: 'x'.repeat(5000) });
        if (a) expect([200, 400, 403, 404, 415]).toContain(a.status);
      }),
      { numRuns: 1000 },
    );
    expect(accountProbe('GET', `/v1/me${'x'.repeat(10000)}`, persona, undefined)).toBeNull();
    expect(accountProbe('GET', '/v1/threads/%E0%A4%A', persona, undefined, { openaiBeta: 'assistants=v2' })?.status).toBe(404);
  });
});
