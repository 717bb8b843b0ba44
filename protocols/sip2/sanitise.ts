/**
 * Value hygiene on the encoding side (reference §1): a value must never contain `|` (the field
 * delimiter) or CR (the terminator); we also remove LF (many receivers, ours included, accept LF
 * as a terminator) and NUL (must not appear). Display text (`AF` screen message, `AG` print line)
 * must not contain any control character. Variable fields carry at most 255 characters.
 *
 * There is no escape mechanism in SIP2. We replace `|` with a space, as edge-sip2 does; Koha's
 * `&#124;` would show up literally on kiosk screens and receipts.
 */

export const MAX_VARIABLE_FIELD_LENGTH = 255;

/** Field IDs whose values are shown to patrons or printed. */
export const DISPLAY_FIELD_IDS: ReadonlySet<string> = new Set(['AF', 'AG']);

export interface SanitisedValue {
  value: string;
  /** Characters were replaced or removed. */
  sanitised: boolean;
  /** The value was cut to the maximum length. */
  truncated: boolean;
}

// C0 controls, DEL and C1 controls.
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/g;
const FRAMING = /[|\r\n]/g;

const NEEDS_FRAMING = /[\u0000|\r\n]/;
const NEEDS_DISPLAY = /[\u0000-\u001F\u007F-\u009F|]/;

/** Whether sanitiseValue would change `raw` other than by truncating it (a cheap test, nothing built). */
export function needsSanitising(raw: string, display: boolean): boolean {
  return (display ? NEEDS_DISPLAY : NEEDS_FRAMING).test(raw);
}

export function sanitiseValue(
  raw: string,
  options: { display?: boolean; maxLength?: number } = {},
): SanitisedValue {
  const maxLength = options.maxLength ?? MAX_VARIABLE_FIELD_LENGTH;
  let value = raw.replace(/\u0000/g, '').replace(FRAMING, ' ');
  if (options.display) value = value.replace(CONTROL, ' ');
  const sanitised = value !== raw;
  // Count code points, not UTF-16 units, so a truncation never splits a surrogate pair. A value
  // of at most maxLength UTF-16 units has at most that many code points: nothing to count.
  if (value.length <= maxLength) return { value, sanitised, truncated: false };
  const codePoints = Array.from(value);
  const truncated = codePoints.length > maxLength;
  if (truncated) value = codePoints.slice(0, maxLength).join('');
  return { value, sanitised, truncated };
}
