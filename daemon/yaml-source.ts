/**
 * YAML (and JSON, which YAML reads) with line numbers, so that a bad config key or a bad import row
 * can be reported as FILE:LINE.
 */
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';

export interface YamlSource {
  file: string;
  value: unknown;
  /** Problems found while parsing (syntax), already formatted as FILE:LINE: message. */
  syntaxErrors: string[];
  /** 1-based line of the deepest node that exists along `path`. */
  lineOf(path: ReadonlyArray<PropertyKey>): number | undefined;
}

export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const syntaxErrors = doc.errors.map((e) => {
    const line = e.linePos?.[0]?.line ?? lineCounter.linePos(e.pos[0]).line;
    return `${file}:${line}: ${e.message.split('\n')[0]}`;
  });
  let value: unknown = null;
  if (syntaxErrors.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      syntaxErrors.push(`${file}: ${(e as Error).message}`);
    }
  }
  return {
    file,
    value,
    syntaxErrors,
    lineOf(path) {
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n) as unknown[], true);
        if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
      }
      return undefined;
    },
  };
}

/**
 * Schema issues (zod's) as one path and message per problem. zod reports every unknown key of an
 * object in one issue on the object; here each key is its own problem at its own path, so that
 * FILE:LINE points at the key rather than at the entry holding it.
 */
export function issuesByKey(
  issues: ReadonlyArray<{ code: string; path: ReadonlyArray<PropertyKey>; message: string; keys?: string[] }>,
  unknownKey: string,
): Array<{ path: PropertyKey[]; message: string }> {
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys' && issue.keys
      ? issue.keys.map((key) => ({ path: [...issue.path, key], message: unknownKey }))
      : // A field left out reads "Invalid input: expected string, received undefined" in zod's words.
        [{ path: [...issue.path], message: issue.code === 'invalid_type' && /received undefined$/.test(issue.message) ? 'is required' : issue.message }],
  );
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(root)';
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge for configuration: objects merge key by key, anything else replaces. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = k in base ? deepMerge(base[k], v) : v;
    return out;
  }
  return over === undefined ? base : over;
}
