/**
 * Log-safe forms of SIP2 traffic. House rule: never a PIN or password in a log line.
 *
 * Masked fields: `CO` login password, `AD` patron password/PIN, `AC` terminal password. An empty
 * value stays visibly empty (`AD|`), because "no PIN was sent" matters when debugging patron
 * authentication, and says nothing about a secret. When anything was masked, the `AZ` checksum is
 * masked too: it is a 16-bit sum over the message, and with everything else known it narrows down a
 * short numeric PIN.
 */
import { DEFAULT_CHARSET, decodeCharset, isSupportedCharset } from './charset.ts';
import { variablePartOffset } from './codec.ts';
import type { Sip2Message } from './types.ts';

export const SECRET_FIELD_IDS: ReadonlySet<string> = new Set(['CO', 'AD', 'AC']);
export const MASK = '****';

/** Message properties that carry the secret fields above. */
const SECRET_KEYS = ['loginPassword', 'patronPassword', 'terminalPassword'] as const;

/** Make control characters visible: CR → `\r`, LF → `\n`, others → `\xHH`. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001F\u007F-\u009F\\]/g, (c) => {
    if (c === '\r') return '\\r';
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\\') return '\\\\';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/**
 * A printable, masked rendering of a raw SIP2 message (bytes as received/sent, or text):
 * `9300CNuser|COpassword|AY0AZF682<CR>` → `9300CNuser|CO****|AY0AZ****\r`. Never throws; works on
 * garbage and unknown commands too (fields are then looked for after every `|`).
 */
export function maskWire(input: Uint8Array | string, options: { charset?: string } = {}): string {
  const charset = options.charset ?? DEFAULT_CHARSET;
  const text =
    typeof input === 'string' ? input : decodeCharset(input, isSupportedCharset(charset) ? charset : 'latin1');
  const at = variablePartOffset(text);
  let masked = false;
  const fields = text
    .slice(at)
    .split('|')
    .map((segment) => {
      const id = segment.slice(0, 2);
      if (!SECRET_FIELD_IDS.has(id) || /^[\r\n]*$/.test(segment.slice(2))) return segment;
      masked = true;
      // Keep a terminator that ends the last segment (a value without its `|`) visible.
      const terminator = /[\r\n]+$/.exec(segment)?.[0] ?? '';
      return id + MASK + terminator;
    })
    .join('|');
  let out = text.slice(0, at) + fields;
  if (masked) out = out.replace(/AZ[0-9A-Fa-f]{4}(?=\|?[\r\n]*$)/, 'AZ****');
  return printable(out);
}

/**
 * A copy of a message object safe for structured logs: secret properties (and secret `extra`
 * fields) replaced by `****` when non-empty.
 */
export function redactMessage<M extends Sip2Message>(message: M): M {
  const copy: Record<string, unknown> = { ...message };
  for (const key of SECRET_KEYS) {
    const value = copy[key];
    if (typeof value === 'string' && value !== '') copy[key] = MASK;
  }
  if (message.extra) {
    copy['extra'] = message.extra.map((f) => (SECRET_FIELD_IDS.has(f.id) && f.value !== '' ? { ...f, value: MASK } : f));
  }
  return copy as M;
}
