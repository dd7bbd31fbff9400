/**
 * IAM as an AWS-savvy thief calls it after STS (`iam.amazonaws.com`, the Query protocol, SigV4
 * service `iam`, XML answers in the 2010-05-08 namespace): who am I (`GetUser`), what may I do
 * (`ListAttachedUserPolicies`, `ListUserPolicies`, `ListGroupsForUser`), and the whole account
 * (`GetAccountAuthorizationDetails`). The answers come from the lure's persona (the user STS names)
 * and show what a leaked application key looks like: Bedrock access through an AWS-managed policy,
 * a self-inspection policy, one group, and no administrator rights — so the account-wide call and
 * any action on another user are refused with IAM's own AccessDenied, naming the persona's ARN.
 */
import { createHash } from 'node:crypto';
import type { HttpResponse } from '../../core/http.js';
import { uuid4 } from '../../util/random.js';
import type { AwsPersona } from '../../deception/persona.js';
import { type ProbeResult, queryParams, renderStsError, writeSts, xmlEscape } from './aws-probes.js';

export const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';

export interface IamProbeRequest {
  readonly url: string;
  readonly body: Buffer;
  readonly contentType?: string | undefined;
  readonly accept?: string | undefined;
  readonly persona: AwsPersona;
}

interface IamIdentity {
  readonly created: string;
  readonly group: { readonly name: string; readonly id: string; readonly created: string };
  readonly attached: readonly { readonly name: string; readonly arn: string }[];
  readonly inline: readonly string[];
}

const GROUPS = ['llm-apps', 'developers', 'ml-platform', 'ci-cd', 'data-science'] as const;
const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A stable identity per persona: creation dates, the group, the policies. */
function identityOf(p: AwsPersona): IamIdentity {
  const h = createHash('sha256').update(`${p.accountId}:${p.userName}:iam`).digest();
  const day = 86_400_000;
  const created = new Date(Date.UTC(2022, 0, 1) + (h.readUInt32BE(0) % (900 * day))).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const groupCreated = new Date(Date.UTC(2021, 6, 1) + (h.readUInt32BE(4) % (180 * day))).toISOString().replace(/\.\d{3}Z$/, 'Z');
  let gid = 'AGPA';
  for (let i = 0; i < 17; i++) gid += ID_CHARS[(h[8 + (i % 20)] ?? 0) % 32] ?? 'A';
  const group = { name: GROUPS[(h[30] ?? 0) % GROUPS.length] ?? 'developers', id: gid, created: groupCreated };
  const attached = [{ name: 'AmazonBedrockFullAccess', arn: 'arn:aws:iam::aws:policy/AmazonBedrockFullAccess' }];
  if ((h[31] ?? 0) % 2 === 0) attached.push({ name: 'CloudWatchLogsReadOnlyAccess', arn: 'arn:aws:iam::aws:policy/CloudWatchLogsReadOnlyAccess' });
  return { created, group, attached, inline: [`${p.userName}-self-read`] };
}

function ok(res: HttpResponse, action: string, result: string, requestId = uuid4()): ProbeResult {
  const body =
    `<${action}Response xmlns="${IAM_NS}">\n` +
    (result === '' ? '' : `  <${action}Result>\n${result}  </${action}Result>\n`) +
    `  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n</${action}Response>\n`;
  return { status: 200, bytes: writeSts(res, 200, body, false, requestId), operation: `iam:${action}` };
}

function userXml(p: AwsPersona, id: IamIdentity, indent: string): string {
  return (
    `${indent}<Path>/</Path>\n${indent}<UserName>${xmlEscape(p.userName)}</UserName>\n${indent}<UserId>${p.userId}</UserId>\n` +
    `${indent}<Arn>${xmlEscape(p.arn)}</Arn>\n${indent}<CreateDate>${id.created}</CreateDate>\n`
  );
}

function denied(res: HttpResponse, p: AwsPersona, action: string, resource: string, accept: string | undefined): ProbeResult {
  const r = renderStsError(res, 403, 'AccessDenied', `User: ${p.arn} is not authorized to perform: iam:${action} on resource: ${resource} because no identity-based policy allows the iam:${action} action`, accept, IAM_NS);
  return { ...r, operation: `iam:${action}` };
}

/** Answer an authenticated IAM request for the persona. */
export function serveIamProbe(req: IamProbeRequest, res: HttpResponse): ProbeResult {
  const params = queryParams(req.url, req.body, req.contentType);
  const action = params.get('Action');
  const p = req.persona;
  if (action === null) return { ...renderStsError(res, 400, 'MissingAction', 'Missing Action', req.accept, IAM_NS), operation: 'iam:Error' };
  const shown = action.slice(0, 64);
  if (params.get('Version') !== '2010-05-08') {
    return { ...renderStsError(res, 400, 'InvalidAction', `Could not find operation ${shown} for version ${params.get('Version') ?? 'NO_VERSION_SPECIFIED'}`, req.accept, IAM_NS), operation: `iam:${shown}` };
  }
  const id = identityOf(p);
  const userName = params.get('UserName');
  const self = userName === null || userName === p.userName;
  const userArn = (name: string): string => `arn:aws:iam::${p.accountId}:user/${name.slice(0, 64)}`;
  switch (action) {
    case 'GetUser':
      if (!self) return denied(res, p, action, userArn(userName ?? ''), req.accept);
      return ok(res, action, `    <User>\n${userXml(p, id, '      ')}    </User>\n`);
    case 'ListAttachedUserPolicies':
      if (userName === null) return { ...renderStsError(res, 400, 'ValidationError', "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null", req.accept, IAM_NS), operation: `iam:${action}` };
      if (!self) return denied(res, p, action, userArn(userName), req.accept);
      return ok(
        res,
        action,
        `    <IsTruncated>false</IsTruncated>\n    <AttachedPolicies>\n` +
          id.attached.map((a) => `      <member>\n        <PolicyArn>${a.arn}</PolicyArn>\n        <PolicyName>${a.name}</PolicyName>\n      </member>\n`).join('') +
          `    </AttachedPolicies>\n`,
      );
    case 'ListUserPolicies':
      if (userName === null) return { ...renderStsError(res, 400, 'ValidationError', "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null", req.accept, IAM_NS), operation: `iam:${action}` };
      if (!self) return denied(res, p, action, userArn(userName), req.accept);
      return ok(res, action, `    <IsTruncated>false</IsTruncated>\n    <PolicyNames>\n${id.inline.map((n) => `      <member>${xmlEscape(n)}</member>\n`).join('')}    </PolicyNames>\n`);
    case 'ListGroupsForUser':
      if (userName === null) return { ...renderStsError(res, 400, 'ValidationError', "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null", req.accept, IAM_NS), operation: `iam:${action}` };
      if (!self) return denied(res, p, action, userArn(userName), req.accept);
      return ok(
        res,
        action,
        `    <IsTruncated>false</IsTruncated>\n    <Groups>\n      <member>\n        <Path>/</Path>\n        <GroupName>${id.group.name}</GroupName>\n        <GroupId>${id.group.id}</GroupId>\n` +
          `        <Arn>arn:aws:iam::${p.accountId}:group/${id.group.name}</Arn>\n        <CreateDate>${id.group.created}</CreateDate>\n      </member>\n    </Groups>\n`,
      );
    case 'GetUserPolicy': {
      const name = params.get('PolicyName') ?? '';
      if (!self) return denied(res, p, action, userArn(userName ?? ''), req.accept);
      if (!id.inline.includes(name)) return { ...renderStsError(res, 404, 'NoSuchEntity', `The user policy with name ${name.slice(0, 128)} cannot be found.`, req.accept, IAM_NS), operation: `iam:${action}` };
      const doc = encodeURIComponent(JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['iam:GetUser', 'iam:ListAttachedUserPolicies', 'iam:ListUserPolicies', 'iam:GetUserPolicy', 'iam:ListGroupsForUser', 'iam:ListAccessKeys'], Resource: p.arn }],
      }));
      return ok(res, action, `    <UserName>${xmlEscape(p.userName)}</UserName>\n    <PolicyName>${xmlEscape(name)}</PolicyName>\n    <PolicyDocument>${doc}</PolicyDocument>\n`);
    }
    case 'GetAccountAuthorizationDetails':
      // a Bedrock application user is no administrator: the account-wide view is refused
      return denied(res, p, action, '*', req.accept);
    default:
      return denied(res, p, shown, `arn:aws:iam::${p.accountId}:*`, req.accept);
  }
}
