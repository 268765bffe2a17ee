/**
 * Parses the text of a multi-document YAML resources file into a ResourceSet, or into the list of every problem
 * found (YAML syntax, validation, duplicates), each with its line so an editor can jump to it.
 * Pure: no I/O, no datastore; the file source decides what to do with the result.
 */
import { Composer, isMap as isYamlMap, isScalar, isSeq, LineCounter, Parser, type Document } from 'yaml';
import type { ResourceSet } from '../datastore/resources.ts';
import { isMap } from '../input/fields.ts';
import { parseObject, ResourceError, type ParsedObject } from './validate.ts';

export interface ResourceProblem {
  /** 1-based line in the file; 0 when the problem is about the file as a whole. */
  line: number;
  /** 1-based document index; 0 for file-level problems. */
  document: number;
  /** Field path inside the object ('' when not about one field). */
  field: string;
  /** Self-contained text naming the document, the object and the field. */
  message: string;
}

export type ParseResult = { ok: true; set: ResourceSet } | { ok: false; problems: ResourceProblem[] };

/** Keeps a broken file from flooding the log; the first problems are the useful ones. */
const MAX_PROBLEMS = 50;

export function parseResourceText(text: string, defaultNamespace: string): ParseResult {
  const lines = new LineCounter();
  const problems: ResourceProblem[] = [];
  const set: ResourceSet = { pools: [], models: [], objectives: [], rewrites: [], pods: [] };
  const seen = new Map<string, string>();
  const lineOf = (offset: number | undefined) => (offset === undefined ? 0 : lines.linePos(offset).line);

  // Document by document: each syntax tree is dropped once converted, so a file of a thousand pods never holds
  // a thousand trees (parseAllDocuments does), which would outlive scavenges and swell the old generation.
  let document = 0;
  for (const doc of new Composer().compose(new Parser(lines.addNewLine).parse(text))) {
    if (problems.length >= MAX_PROBLEMS) break;
    document++;
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const { line, col } = lines.linePos(e.pos[0]);
        problems.push({ line, document, field: '', message: `document ${document}: YAML syntax error: ${firstLine(e.message)} at line ${line}, column ${col}` });
      }
      continue;
    }
    let raw: unknown;
    try {
      raw = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      problems.push({ line: lineOf(doc.contents?.range?.[0]), document, field: '', message: `document ${document}: ${(err as Error).message}` });
      continue;
    }
    if (raw === null || raw === undefined) continue; // empty document (a stray `---` or only comments)

    // `kubectl get pods -o yaml` prints a List; accept its items so real pods can be pasted in.
    const list: unknown[] | undefined = isMap(raw) && raw.kind === 'List' && Array.isArray(raw.items) ? raw.items : undefined;
    const items = list ?? [raw];
    for (let i = 0; i < items.length; i++) {
      const prefix = list ? ['items', i] : [];
      const where = list ? `document ${document} item ${i + 1}` : `document ${document}`;
      try {
        const parsed = parseObject(items[i], where, defaultNamespace);
        const id = `${parsed.kind} ${parsed.spec.namespace}/${parsed.spec.name}`;
        const first = seen.get(id);
        if (first) throw new ResourceError(`${where} (${id})`, '', `duplicate: ${first} already defines it`);
        seen.set(id, where);
        add(set, parsed);
      } catch (err) {
        if (!(err instanceof ResourceError)) throw err;
        const line = lineOf(nodeOffset(doc, [...prefix, ...pathSegments(err.field)]));
        problems.push({ line, document, field: err.field, message: err.message });
      }
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, set };
}

/** One line per problem: a yaml message that spans lines keeps its first. */
function firstLine(message: string): string {
  const end = message.indexOf('\n');
  return (end < 0 ? message : message.slice(0, end)).replace(/:$/, '');
}

function add(set: ResourceSet, o: ParsedObject): void {
  switch (o.kind) {
    case 'InferencePool':
      set.pools.push(o.spec);
      break;
    case 'InferenceModel':
      set.models.push(o.spec);
      break;
    case 'InferenceObjective':
      set.objectives.push(o.spec);
      break;
    case 'InferenceModelRewrite':
      set.rewrites.push(o.spec);
      break;
    case 'Pod':
      set.pods.push(o.spec);
      break;
  }
}

const SEGMENT = /\.?([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;

/** `spec.targetPorts[0].number` / `labels["a/b"]` (the format of fields.ts `child`) -> path segments. */
export function pathSegments(field: string): (string | number)[] {
  const out: (string | number)[] = [];
  SEGMENT.lastIndex = 0;
  for (let guard = 0; SEGMENT.lastIndex < field.length && guard < 256; guard++) {
    const m = SEGMENT.exec(field);
    if (!m) break;
    out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3]!) as string)));
  }
  return out;
}

/**
 * Source offset of the deepest node on `path` that exists: the key of a map entry (so an unknown field points
 * at its own line and a missing one at its parent's key), or the item of a list.
 */
function nodeOffset(doc: Document, path: (string | number)[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = offsetOf(node);
  for (const seg of path) {
    if (isYamlMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
      if (!pair) break;
      offset = offsetOf(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      offset = offsetOf(node) ?? offset;
    } else {
      break;
    }
  }
  return offset;
}

function offsetOf(node: unknown): number | undefined {
  return (node as { range?: [number, number, number] | null } | null | undefined)?.range?.[0];
}
