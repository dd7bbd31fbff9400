/**
 * Bedrock guardrails in the decoy (docs/deception.md "Bedrock guardrails"): the guardrail a request
 * applies (InvokeModel headers, Converse `guardrailConfig`), and the trace it asks for — Converse
 * `trace.guardrail` and InvokeModel `amazon-bedrock-trace` — with nothing detected. Moved out of
 * decoy.ts as is.
 */
import type { RandomFn } from '../../deception/random.js';
import type { Generation } from './decoy-native.js';

type Json = Record<string, unknown>;

/**
 * A guardrail the request applies (docs/deception.md "Bedrock guardrails"): any identifier is the
 * persona's own guardrail, and it lets the answer through (action NONE); `trace` asks for its assessments.
 */
export interface GuardrailUse {
  readonly id: string;
  readonly trace: boolean;
}

/** The guardrail of an InvokeModel request's headers (identifier, and X-Amzn-Bedrock-Trace ENABLED / ENABLED_FULL). */
export function invokeGuardrail(id: string | undefined, trace: string | undefined): GuardrailUse | undefined {
  if (id === undefined || id === '') return undefined;
  return { id, trace: trace === 'ENABLED' || trace === 'ENABLED_FULL' };
}

/** The guardrail of a Converse body's `guardrailConfig` (`trace`: enabled / enabled_full). */
export function converseGuardrail(body: Readonly<Record<string, unknown>>): GuardrailUse | undefined {
  const g = body['guardrailConfig'];
  if (typeof g !== 'object' || g === null || Array.isArray(g)) return undefined;
  const cfg = g as Record<string, unknown>;
  const id = cfg['guardrailIdentifier'];
  if (typeof id !== 'string' || id === '') return undefined;
  return { id, trace: cfg['trace'] === 'enabled' || cfg['trace'] === 'enabled_full' };
}

/** One guardrail assessment with nothing detected: its metrics (coverage of the text, latency, policy units). */
function guardrailAssessment(chars: number, rand: RandomFn): Json {
  return {
    invocationMetrics: {
      guardrailCoverage: { textCharacters: { guarded: chars, total: chars } },
      guardrailProcessingLatency: 200 + Math.floor(rand() * 120),
      usage: {
        automatedReasoningPolicies: 0,
        automatedReasoningPolicyUnits: 0,
        contentPolicyImageUnits: 0,
        contentPolicyUnits: 1,
        contextualGroundingPolicyUnits: 0,
        sensitiveInformationPolicyFreeUnits: 0,
        sensitiveInformationPolicyUnits: 1,
        topicPolicyUnits: 1,
        wordPolicyUnits: 1,
      },
    },
  };
}

/** Characters of the request's text the guardrail looked at (the user and system text, as JSON). */
function guardedChars(body: Json): number {
  const m = body['messages'] ?? body['inputText'] ?? body['prompt'];
  const text = typeof m === 'string' ? m : JSON.stringify(m ?? '');
  return Math.max(1, Math.min(text.length, 100_000));
}

/** Converse `trace` [REC 2025-08]: `guardrail` with the action reason and the input/output assessments by guardrail id. */
export function converseTrace(g: GuardrailUse, body: Json, gen: Generation, rand: RandomFn): Json {
  return {
    guardrail: {
      actionReason: 'No action.',
      inputAssessment: { [g.id]: guardrailAssessment(guardedChars(body), rand) },
      outputAssessments: { [g.id]: [guardrailAssessment(Math.max(1, gen.text.length), rand)] },
    },
  };
}

/**
 * InvokeModel `amazon-bedrock-trace` [REC 2025-02, 2025-08]: `guardrail.input` by id and `guardrail.outputs`,
 * in the native (unsorted) order of the 2025-08 recording: latency, usage (that order), coverage.
 */
export function invokeTrace(g: GuardrailUse, body: Json, gen: Generation, rand: RandomFn): Json {
  const assess = (chars: number): Json => ({
    invocationMetrics: {
      guardrailProcessingLatency: 200 + Math.floor(rand() * 120),
      usage: {
        topicPolicyUnits: 1,
        contentPolicyUnits: 1,
        wordPolicyUnits: 1,
        automatedReasoningPolicyUnits: 0,
        automatedReasoningPolicies: 0,
        sensitiveInformationPolicyUnits: 1,
        sensitiveInformationPolicyFreeUnits: 0,
        contextualGroundingPolicyUnits: 0,
        contentPolicyImageUnits: 0,
      },
      guardrailCoverage: { textCharacters: { guarded: chars, total: chars } },
    },
  });
  return { guardrail: { input: { [g.id]: assess(guardedChars(body)) }, outputs: [{ [g.id]: assess(Math.max(1, gen.text.length)) }] } };
}

/** Does this native stream event carry generated text (it then carries the guardrail's action too)? */
export function carriesText(e: Json): boolean {
  return 'contentBlockDelta' in e || e['type'] === 'content_block_delta' || 'outputText' in e || 'generation' in e || 'outputs' in e || 'choices' in e || 'text' in e;
}
