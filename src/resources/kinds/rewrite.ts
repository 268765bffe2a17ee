/**
 * InferenceModelRewrite v1alpha2: rules that map a requested model name (exact match, or any name when a rule
 * has no matches) to weighted target names.
 */
import type { RewriteRule, RewriteSpec } from '../../datastore/resources.ts';
import { asList, asMap, child, FieldError, isAbsent, onlyFields, optEnum, reqString, type RawMap } from '../../input/fields.ts';
import { parsePoolRef, parseWeightedTargets, type ObjectMeta } from './common.ts';

const MATCH_TYPES = ['Exact'] as const;
const MAX_MODEL_NAME = 256;

export function parseRewrite(obj: RawMap, meta: ObjectMeta): RewriteSpec {
  const spec = asMap(obj.spec, 'spec');
  onlyFields(spec, 'spec', ['poolRef', 'rules']);
  const poolRef = parsePoolRef(spec);
  if (isAbsent(spec.rules)) throw new FieldError('spec.rules', 'required');
  const raw = asList(spec.rules, 'spec.rules', 0, Infinity);
  const rules: RewriteRule[] = [];
  for (let i = 0; i < raw.length; i++) rules.push(parseRule(raw[i], child('spec.rules', i)));
  return { name: meta.name, namespace: meta.namespace, poolRef, rules, createdAt: meta.createdAt };
}

function parseRule(v: unknown, path: string): RewriteRule {
  const rule = asMap(v, path);
  onlyFields(rule, path, ['matches', 'targets']);
  const matchesPath = child(path, 'matches');
  const matches: string[] = [];
  const rawMatches = asList(rule.matches, matchesPath, 0, Infinity);
  for (let i = 0; i < rawMatches.length; i++) {
    const p = child(matchesPath, i);
    const match = asMap(rawMatches[i], p);
    onlyFields(match, p, ['model']);
    const modelPath = child(p, 'model');
    const model = asMap(match.model, modelPath);
    onlyFields(model, modelPath, ['type', 'value']);
    optEnum(model, 'type', modelPath, MATCH_TYPES);
    matches.push(reqString(model, 'value', modelPath, MAX_MODEL_NAME));
  }
  // targets is optional, but when present it needs at least one entry (MinItems=1 on the CRD).
  const targetsPath = child(path, 'targets');
  const min = isAbsent(rule.targets) ? 0 : 1;
  const targets = parseWeightedTargets(rule.targets, targetsPath, 'modelRewrite', min, Infinity);
  return { matches, targets: targets.map((t) => ({ modelRewrite: t.name, weight: t.weight })) };
}
