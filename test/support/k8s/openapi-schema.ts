/**
 * A structural OpenAPI v3 schema check, as the API server applies a CRD's schema on create: defaults are
 * applied, unknown fields are errors (kubectl's default strict field validation), and the keywords CRDs use
 * are enforced. CEL rules (x-kubernetes-validations) cannot be evaluated here; each rule our CRDs use has a
 * hand-written equivalent in CEL_RULES, and an unknown rule is an error, so none is skipped silently.
 */

export interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: Schema | boolean;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  default?: unknown;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-validations'?: { rule: string; message?: string }[];
  [k: string]: unknown;
}

type Json = unknown;
const has = (o: Json, k: string): boolean => typeof o === 'object' && o !== null && Object.hasOwn(o, k);
const list = (v: Json): Record<string, Json>[] => (Array.isArray(v) ? (v as Record<string, Json>[]) : []);

/** JS equivalents of the CEL rules in config/crd/ (create-time semantics: transition rules pass). */
export const CEL_RULES: Record<string, (self: Json) => boolean> = {
  'self.all(p1, self.exists_one(p2, p1.number == p2.number))': (s) =>
    list(s).every((p1) => list(s).filter((p2) => p2.number === p1.number).length === 1),
  "self.kind != 'Service' || has(self.port)": (s) => (s as Record<string, Json>).kind !== 'Service' || has(s, 'port'),
  'self == oldSelf': () => true,
  'self.all(model, has(model.weight)) || self.all(model, !has(model.weight))': (s) =>
    list(s).every((m) => has(m, 'weight')) || list(s).every((m) => !has(m, 'weight')),
  'self.all(t, has(t.weight)) || self.all(t, !has(t.weight))': (s) =>
    list(s).every((m) => has(m, 'weight')) || list(s).every((m) => !has(m, 'weight')),
};

/** Validates (and defaults, in place) `value`; returns errors as "path: message". */
export function validate(schema: Schema, value: Json, path = ''): string[] {
  const errors: string[] = [];
  check(schema, value, path || '<root>', errors);
  return errors;
}

function check(s: Schema, v: Json, path: string, errors: string[]): void {
  const err = (msg: string): void => void errors.push(`${path}: ${msg}`);
  if (v === null || v === undefined) return err('null');
  switch (s.type) {
    case 'object': {
      if (typeof v !== 'object' || Array.isArray(v)) return err(`expected object, got ${describe(v)}`);
      const o = v as Record<string, Json>;
      const props = s.properties ?? {};
      for (const [k, sub] of Object.entries(props)) if (!has(o, k) && sub.default !== undefined) o[k] = structuredClone(sub.default);
      for (const r of s.required ?? []) if (!has(o, r)) err(`${r}: Required value`);
      const n = Object.keys(o).length;
      if (s.minProperties !== undefined && n < s.minProperties) err(`should have at least ${s.minProperties} properties`);
      if (s.maxProperties !== undefined && n > s.maxProperties) err(`should have at most ${s.maxProperties} properties`);
      for (const [k, child] of Object.entries(o)) {
        const sub = props[k];
        if (sub) check(sub, child, `${path}.${k}`, errors);
        else if (typeof s.additionalProperties === 'object') check(s.additionalProperties, child, `${path}.${k}`, errors);
        else if (s.properties && !s['x-kubernetes-preserve-unknown-fields']) err(`${k}: unknown field`);
      }
      break;
    }
    case 'array': {
      if (!Array.isArray(v)) return err(`expected array, got ${describe(v)}`);
      if (s.minItems !== undefined && v.length < s.minItems) err(`should have at least ${s.minItems} items`);
      if (s.maxItems !== undefined && v.length > s.maxItems) err(`should have at most ${s.maxItems} items`);
      if (s.items) v.forEach((item, i) => check(s.items!, item, `${path}[${i}]`, errors));
      break;
    }
    case 'string': {
      if (typeof v !== 'string') return err(`expected string, got ${describe(v)}`);
      if (s.minLength !== undefined && v.length < s.minLength) err(`should be at least ${s.minLength} chars`);
      if (s.maxLength !== undefined && v.length > s.maxLength) err(`should be at most ${s.maxLength} chars`);
      if (s.pattern !== undefined && !new RegExp(s.pattern).test(v)) err(`should match ${s.pattern}`);
      if (s.format === 'date-time' && Number.isNaN(Date.parse(v))) err('should be a date-time');
      break;
    }
    case 'integer':
    case 'number': {
      if (typeof v !== 'number' || (s.type === 'integer' && !Number.isInteger(v))) return err(`expected ${s.type}, got ${describe(v)}`);
      if (s.minimum !== undefined && v < s.minimum) err(`should be >= ${s.minimum}`);
      if (s.maximum !== undefined && v > s.maximum) err(`should be <= ${s.maximum}`);
      if (s.format === 'int32' && (v < -(2 ** 31) || v >= 2 ** 31)) err('should fit in int32');
      break;
    }
    case 'boolean':
      if (typeof v !== 'boolean') return err(`expected boolean, got ${describe(v)}`);
      break;
    default:
      if (!s['x-kubernetes-preserve-unknown-fields']) err(`schema has no type (not structural)`);
  }
  if (s.enum && !s.enum.includes(v)) err(`should be one of ${JSON.stringify(s.enum)}`);
  for (const rule of s['x-kubernetes-validations'] ?? []) {
    const fn = CEL_RULES[rule.rule];
    if (!fn) err(`CEL rule without a JS equivalent in CEL_RULES: ${rule.rule}`);
    else if (!fn(v)) err(rule.message ?? `failed ${rule.rule}`);
  }
}

function describe(v: Json): string {
  return Array.isArray(v) ? 'array' : typeof v;
}

/** Every schema node in a CRD version must have a type (structural schema), except preserve-unknown nodes. */
export function structuralProblems(s: Schema, path = ''): string[] {
  const out: string[] = [];
  if (!s.type && !s['x-kubernetes-preserve-unknown-fields']) out.push(`${path || '<root>'}: no type`);
  for (const [k, sub] of Object.entries(s.properties ?? {})) out.push(...structuralProblems(sub, `${path}.${k}`));
  if (s.items) out.push(...structuralProblems(s.items, `${path}[]`));
  if (typeof s.additionalProperties === 'object') out.push(...structuralProblems(s.additionalProperties, `${path}{}`));
  return out;
}
