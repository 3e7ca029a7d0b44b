// The JSON Schemas are the one source of validation for what procns reads: scenarios
// (scenarios/scenario.schema.json), replay files (scenarios/replay.schema.json), traces
// (oracle/trace.schema.json) and the --json results of --shard runs (cli/shard.schema.json),
// checked with ajv. Every reader goes through here; what a schema
// cannot say (which syscalls exist, a step's numbering) is checked after it, by its reader.
import * as fs from 'fs';
import * as path from 'path';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';

const ROOT = path.resolve(__dirname, '..', '..');

const FILES = {
  scenario: ['scenarios/scenario.schema.json', ''],
  replay: ['scenarios/replay.schema.json', ''],
  'trace-header': ['oracle/trace.schema.json', '#/$defs/Header'],
  'trace-step': ['oracle/trace.schema.json', '#/$defs/Step'],
  shard: ['cli/shard.schema.json', ''],
} as const;
export type SchemaKind = keyof typeof FILES;

let ajv: Ajv2020 | null = null;
const compiled = new Map<SchemaKind, ValidateFunction>();

function validator(kind: SchemaKind): ValidateFunction {
  let v = compiled.get(kind);
  if (v) return v;
  if (!ajv) {
    // strict, but a oneOf of bare `required` lists (a trace step has ret or errno) is the JSON Schema idiom
    ajv = new Ajv2020({ allErrors: false, strict: true, strictRequired: false, allowUnionTypes: true });
    for (const file of new Set(Object.values(FILES).map(([f]) => f))) {
      ajv.addSchema(JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as object);
    }
  }
  const [file, ref] = FILES[kind];
  const id = (JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as { $id: string }).$id;
  v = ajv.getSchema(`${id}${ref}`) as ValidateFunction;
  compiled.set(kind, v);
  return v;
}

/**
 * Why `value` is not a valid `kind`, in one line naming the field (and, given the text it was
 * parsed from, its line), or null.
 */
export function schemaProblem(kind: SchemaKind, value: unknown, text?: string): string | null {
  const v = validator(kind);
  if (v(value)) return null;
  const e = (v.errors as ErrorObject[])[0];
  const field = e.instancePath || '(the whole document)';
  const extra = e.keyword === 'additionalProperties' ? ` '${String((e.params as { additionalProperty: string }).additionalProperty)}'`
    : e.keyword === 'enum' || e.keyword === 'const' ? ` ${JSON.stringify(e.params)}` : '';
  const line = text !== undefined ? lineOf(text, e.instancePath) : null;
  return `${line ? `line ${line}: ` : ''}${field}: ${e.message ?? 'invalid'}${extra}`;
}

/** The line on which the value at a JSON pointer starts in `text` (null when it cannot be found). */
export function lineOf(text: string, pointer: string): number | null {
  const want = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  // a small scanner: the path to each value as it starts
  const stack: (string | number)[] = [];
  const kinds: ('o' | 'a')[] = [];
  let line = 1;
  let pendingKey: string | null = null;
  const at = (): boolean => stack.length === want.length && stack.every((s, i) => String(s) === want[i]);
  if (!want.length) return 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') { line++; continue; }
    if (c === ' ' || c === '\t' || c === '\r' || c === ':') continue;
    if (c === ',') {
      if (kinds[kinds.length - 1] === 'a') { stack[stack.length - 1] = (stack[stack.length - 1] as number) + 1; if (at()) return lineAfter(text, i, line); }
      continue;
    }
    if (c === '}' || c === ']') { kinds.pop(); stack.pop(); continue; }
    if (c === '"') {
      let j = i + 1;
      let s = '';
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\') { s += text[j + 1]; j++; } else s += text[j];
      }
      const isKey = kinds[kinds.length - 1] === 'o' && pendingKey === null && /^\s*:/.test(text.slice(j + 1, j + 20));
      i = j;
      if (isKey) {
        pendingKey = s;
        stack[stack.length - 1] = s;
        if (at()) return line;
      }
      pendingKey = null;
      continue;
    }
    pendingKey = null;
    if (c === '{' || c === '[') {
      kinds.push(c === '{' ? 'o' : 'a');
      stack.push(c === '{' ? '' : 0);
      if (c === '[' && at()) return line;
      continue;
    }
  }
  return null;
}

/** The line of the next value after a comma at i (an array element may start on the next line). */
function lineAfter(text: string, i: number, line: number): number {
  let l = line;
  for (let j = i + 1; j < text.length && /\s/.test(text[j]); j++) if (text[j] === '\n') l++;
  return l;
}
