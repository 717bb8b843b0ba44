/**
 * SIP2 2.00 encode/decode, driven by the message table in spec.ts.
 *
 * decode(bytes | string) never throws: anything wrong comes back as `errors` (not decodable) or
 * `warnings` (decoded, something tolerated). encode(message) returns the wire bytes and the same
 * text; it throws only for programming/configuration errors (unknown command code, unknown charset).
 */
import { DEFAULT_CHARSET, decodeCharset, encodeCharset, isSupportedCharset, representable, transliterateToAscii } from './charset.ts';
import { checksumValue, computeChecksum, contentEnd, findTrailer } from './checksum.ts';
import { formatSipDate, isBlankSipDate, parseSipDate, type SipDateTime } from './datetime.ts';
import { issue, type Sip2Issue } from './issues.ts';
import { DISPLAY_FIELD_IDS, MAX_VARIABLE_FIELD_LENGTH, needsSanitising, sanitiseValue } from './sanitise.ts';
import {
  fixedFieldWidth,
  fixedPartWidth,
  specFor,
  type FixedFieldSpec,
  type MessageSpec,
  type VariableFieldSpec,
} from './spec.ts';
import {
  PATRON_STATUS_FLAGS,
  PATRON_SUMMARY_FLAGS,
  SUPPORTED_MESSAGE_FLAGS,
  type HoldMode,
  type PatronStatus,
  type PatronSummary,
  type Sip2ExtraField,
  type Sip2Message,
  type SupportedMessages,
} from './types.ts';

const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;

// ---------------------------------------------------------------------------------------------
// Decode

/**
 * `off`: never verify (a trailer, if present, is still stripped and reported);
 * `auto`: verify when `AZ` is present (default; Koha-style sniffing);
 * `on`: `AZ` is mandatory and verified (edge-sip2/fsip2 per-tenant switch).
 */
export type ErrorDetectionMode = 'off' | 'auto' | 'on';

export interface Sip2DecodeOptions {
  /** iconv-lite charset of the account; default `utf-8`. */
  charset?: string;
  /** Default `auto`. */
  errorDetection?: ErrorDetectionMode;
}

/**
 * `valid`: `AZ` present and correct; `invalid`: present and wrong (only in failures);
 * `absent`: no `AZ`; `unchecked`: present but `errorDetection` is `off`.
 */
export type Sip2ChecksumStatus = 'valid' | 'invalid' | 'absent' | 'unchecked';

interface DecodeEnvelope {
  /** The `AY` digit, or null when absent. A server echoes it in its reply. */
  sequenceNumber: number | null;
  /** The `AZ` value as received (4 hex digits), or null. */
  checksum: string | null;
  checksumStatus: Sip2ChecksumStatus;
  warnings: Sip2Issue[];
}

export interface Sip2Decoded<M extends Sip2Message = Sip2Message> extends DecodeEnvelope {
  ok: true;
  message: M;
}

export interface Sip2DecodeFailure extends DecodeEnvelope {
  ok: false;
  /**
   * The 2-char command code if one could be read. Lets a server tell a known request it cannot read
   * (which still needs its one reply, reference §1) from an unknown command (no reply).
   */
  commandCode: string | null;
  errors: Sip2Issue[];
}

export type Sip2DecodeResult = Sip2Decoded | Sip2DecodeFailure;

function isTerminatorByte(b: number | undefined): boolean {
  return b === CR || b === LF || b === NUL;
}

/**
 * Decode one SIP2 message. Pass the BYTES as received (the framer gives them) so the checksum is
 * verified over exactly what was sent; a string is first encoded with `charset`.
 * A trailing terminator (CR, CRLF, LF) is optional.
 */
export function decode(input: Uint8Array | string, options: Sip2DecodeOptions = {}): Sip2DecodeResult {
  // No closures here: a SIP2 server decodes every message it receives, and a function made per
  // call (with tsx's name-keeping wrapper around it) costs more than most of the work below.
  const charset = options.charset ?? DEFAULT_CHARSET;
  const mode = options.errorDetection ?? 'auto';
  const warnings: Sip2Issue[] = [];
  const env: DecodeEnvelope = { sequenceNumber: null, checksum: null, checksumStatus: 'absent', warnings };

  if (!isSupportedCharset(charset)) {
    return failure(env, null, issue('unsupported-charset', `Character set ${JSON.stringify(charset)} is not supported`));
  }
  const all = typeof input === 'string' ? encodeCharset(input, charset) : input;

  // One message: skip leading terminators (the LF of a split CRLF, padding), stop at the first CR/LF.
  let start = 0;
  while (start < all.length && isTerminatorByte(all[start])) start++;
  let end = start;
  while (end < all.length && all[end] !== CR && all[end] !== LF) end++;
  for (let i = end; i < all.length; i++) {
    if (!isTerminatorByte(all[i])) {
      warnings.push(issue('trailing-data', `Ignored ${all.length - i} byte(s) after the terminator`));
      break;
    }
  }
  const bytes = all.subarray(start, end);
  const bodyEnd = contentEnd(bytes);
  if (bodyEnd === 0) return failure(env, null, issue('empty-message', 'Empty message'));

  // Error detection (reference §3): over the bytes as received, up to and including "AZ".
  let trailer = findTrailer(bytes, bodyEnd);
  if (trailer !== null && !trailer.delimited && mode !== 'on') {
    // Not where the spec puts a trailer: only take it as one if it verifies; otherwise it is data
    // (a value ending in "AZ" + 4 hex digits), not a corrupt checksum.
    const verifies = checksumMatches(bytes.subarray(0, trailer.checksumEnd), trailer.checksum);
    if (mode === 'off' || !verifies) trailer = null;
  }
  if (trailer !== null) {
    env.sequenceNumber = trailer.sequenceNumber;
    env.checksum = trailer.checksum;
    if (mode === 'off') {
      env.checksumStatus = 'unchecked';
    } else {
      const region = bytes.subarray(0, trailer.checksumEnd);
      if (!checksumMatches(region, trailer.checksum)) {
        env.checksumStatus = 'invalid';
        return failure(
          env,
          commandCodeOf(bytes, bodyEnd),
          issue('bad-checksum', `Checksum ${trailer.checksum} does not match the message (expected ${computeChecksum(region)})`, 'AZ'),
        );
      }
      env.checksumStatus = 'valid';
    }
  } else if (mode === 'on') {
    return failure(env, commandCodeOf(bytes, bodyEnd), issue('missing-checksum', 'Error detection is on but the message has no AZ checksum', 'AZ'));
  }

  let text = decodeCharset(bytes.subarray(0, trailer?.start ?? bodyEnd), charset);
  if (text.includes('\u0000')) {
    warnings.push(issue('nul-byte', 'Removed NUL characters from the message'));
    text = text.replace(/\u0000/g, '');
  }
  if (text.includes('\uFFFD')) {
    warnings.push(issue('invalid-encoding', `Bytes not valid in ${charset} were replaced with U+FFFD`));
  }

  const code = text.slice(0, 2);
  const spec = specFor(code);
  if (spec === undefined) {
    return failure(env, code, issue('unknown-command', `Unknown command code ${JSON.stringify(code)}`));
  }
  const rest = text.slice(2);
  const located = locateVariablePart(spec, rest);
  if ('error' in located) return failure(env, code, located.error);
  if (located.warning) warnings.push(located.warning);

  const width = fixedPartWidth(spec);
  const fixedText =
    located.at > width && spec.overlong === 'right' ? rest.slice(located.at - width, located.at) : rest.slice(0, width);
  const message: Record<string, unknown> = { code };

  let offset = 0;
  for (const field of spec.fixed) {
    const w = fixedFieldWidth(field);
    const raw = fixedText.slice(offset, offset + w);
    offset += w;
    const decoded = decodeFixed(field, raw, warnings);
    if ('error' in decoded) return failure(env, code, decoded.error);
    message[field.key] = decoded.value;
  }

  const variable = decodeVariablePart(spec, rest, located.at, mode, warnings);
  if ('error' in variable) return failure(env, code, variable.error);
  Object.assign(message, variable.values);
  message['extra'] = variable.extra;
  if (variable.sequenceNumber !== null && env.sequenceNumber === null) env.sequenceNumber = variable.sequenceNumber;

  return {
    ok: true,
    message: message as unknown as Sip2Message,
    sequenceNumber: env.sequenceNumber,
    checksum: env.checksum,
    checksumStatus: env.checksumStatus,
    warnings,
  };
}

function failure(env: DecodeEnvelope, commandCode: string | null, error: Sip2Issue): Sip2DecodeFailure {
  return {
    ok: false,
    commandCode,
    errors: [error],
    sequenceNumber: env.sequenceNumber,
    checksum: env.checksum,
    checksumStatus: env.checksumStatus,
    warnings: env.warnings,
  };
}

/** The first two bytes as the command code (for a message that cannot be decoded further). */
function commandCodeOf(bytes: Uint8Array, bodyEnd: number): string {
  return bodyEnd >= 2 ? String.fromCharCode(bytes[0]!, bytes[1]!) : String.fromCharCode(bytes[0]!);
}

function checksumMatches(region: Uint8Array, received: string): boolean {
  return checksumValue(region) === Number.parseInt(received, 16);
}

/**
 * Where the ID'd fields start (index into the text after the command code). Normally right after
 * the fixed part; tolerates an over-long fixed part (reference §1 Practice) with a warning, and
 * reports a short one as an error, since its fields cannot be aligned.
 */
const knownIdsBySpec = new WeakMap<MessageSpec, Set<string>>();

function locateVariablePart(
  spec: MessageSpec,
  rest: string,
): { at: number; warning?: Sip2Issue } | { error: Sip2Issue } {
  const width = fixedPartWidth(spec);
  let known = knownIdsBySpec.get(spec);
  if (!known) knownIdsBySpec.set(spec, (known = new Set<string>(['AY', 'AZ', ...spec.fields.map((f) => f.id)])));

  if (rest.length === width || rest[width] === '|' || (rest.length > width && known.has(rest.slice(width, width + 2)))) {
    return { at: width };
  }
  // No fixed field holds a `|` (it delimits ID'd fields, reference §1), so one inside the fixed
  // part's width means the fixed part is short, however short: `17|AO…|AB…|` with no date at all.
  // Reading on would take field codes as the date and lose AB, and then say the item is unknown.
  const pipe = rest.indexOf('|');
  if (pipe >= 0 && pipe < width) {
    let p = 0;
    while (p < pipe && !known.has(rest.slice(p, p + 2))) p++;
    return shortFixedPart(spec, width, p);
  }
  if (rest.length < width) return shortFixedPart(spec, width, rest.length);

  // The first field must start before the first delimiter.
  const limit = pipe >= 0 ? pipe - 2 : rest.length - 2;
  for (let p = width - 1; p >= Math.max(0, width - 4); p--) {
    if (p <= limit && known.has(rest.slice(p, p + 2))) return shortFixedPart(spec, width, p);
  }
  for (let p = width + 1; p <= limit; p++) {
    if (known.has(rest.slice(p, p + 2))) {
      return {
        at: p,
        warning: issue(
          'fixed-part-length',
          `${spec.code} fixed part is ${p} characters, expected ${width}; read the ${spec.overlong === 'right' ? 'last' : 'first'} ${width}`,
        ),
      };
    }
  }
  // An unknown (extension) field may come first.
  if (/^[A-Z][A-Z0-9]/.test(rest.slice(width, width + 2))) return { at: width };
  // Extra characters closed by a stray `|` (e.g. `941X|AF…|`): the fixed part ends at that `|`.
  if (pipe > width) {
    return {
      at: pipe,
      warning: issue('fixed-part-length', `${spec.code} fixed part is ${pipe} characters, expected ${width}`),
    };
  }
  return { at: width };
}

function shortFixedPart(spec: MessageSpec, width: number, actual: number): { error: Sip2Issue } {
  // "an 18-character", "an 8-character", "an 11-character"; "a 37-character".
  const article = /^8|^1[18]$/.test(String(width)) ? 'an' : 'a';
  return { error: issue('short-fixed-part', `${spec.code} ${spec.name} needs ${article} ${width}-character fixed part, got ${actual}`) };
}

/**
 * Index in `text` (starting with the command code) where the ID'd fields begin. For unknown codes
 * and undecodable fixed parts: 2, right after the code. Used by the log masker.
 */
export function variablePartOffset(text: string): number {
  const spec = specFor(text.slice(0, 2));
  const fallback = Math.min(2, text.length);
  if (spec === undefined) return fallback;
  const located = locateVariablePart(spec, text.slice(2));
  return 'error' in located ? fallback : 2 + located.at;
}

type FixedResult = { value: unknown } | { error: Sip2Issue };

// The warning helpers are module functions, not closures made per field: decoding runs for every
// message a SIP2 server receives, and a closure per field costs more than the field itself.
function badFixed(warnings: Sip2Issue[], field: FixedFieldSpec, raw: string, what: string): void {
  warnings.push(issue('bad-fixed-field', `${field.key}: unexpected ${JSON.stringify(raw)}; ${what}`, field.key));
}

function badVariable(warnings: Sip2Issue[], field: VariableFieldSpec, value: string, what: string): { kept: false } {
  warnings.push(issue('bad-field-value', `${field.id}: ${JSON.stringify(value)} is not ${what}; kept in extra`, field.id));
  return { kept: false };
}

function decodeFixed(field: FixedFieldSpec, raw: string, warnings: Sip2Issue[]): FixedResult {
  switch (field.kind) {
    case 'flag': {
      const c = raw.toUpperCase();
      if (c === 'Y') return { value: true };
      if (c === 'N' || c === ' ') return { value: false };
      badFixed(warnings, field, raw, 'read as N');
      return { value: false };
    }
    case 'flagOrUnknown': {
      const c = raw.toUpperCase();
      if (c === 'Y') return { value: true };
      if (c === 'N') return { value: false };
      if (c !== 'U') badFixed(warnings, field, raw, 'read as U');
      return { value: null };
    }
    case 'ok': {
      if (raw === '1') return { value: true };
      if (raw === '0') return { value: false };
      const c = raw.toUpperCase();
      badFixed(warnings, field, raw, c === 'Y' ? 'read as 1' : 'read as 0');
      return { value: c === 'Y' };
    }
    case 'date': {
      const value = parseSipDate(raw);
      if (value === null && !isBlankSipDate(raw)) {
        warnings.push(issue('bad-date', `${field.key}: unparsable date ${JSON.stringify(raw)}, read as blank`, field.key));
      }
      return { value };
    }
    case 'count': {
      const trimmed = raw.trim();
      if (trimmed === '') return { value: null };
      if (/^\d+$/.test(trimmed)) return { value: Number(trimmed) };
      badFixed(warnings, field, raw, 'read as unknown');
      return { value: null };
    }
    case 'digits':
    case 'text':
      return { value: raw };
    case 'patronStatus': {
      const status = {} as PatronStatus;
      PATRON_STATUS_FLAGS.forEach((key, i) => (status[key] = raw[i] === 'Y' || raw[i] === 'y'));
      if (/[^YyNn ]/.test(raw)) badFixed(warnings, field, raw, 'non-Y characters read as false');
      return { value: status };
    }
    case 'summary': {
      const summary = {} as PatronSummary;
      PATRON_SUMMARY_FLAGS.forEach((key, i) => (summary[key] = raw[i] === 'Y' || raw[i] === 'y'));
      const reserved = raw.slice(6, 10);
      if (reserved.trim() !== '') summary.reserved = reserved;
      if (/[^YyNn ]/.test(raw.slice(0, 6))) badFixed(warnings, field, raw, 'non-Y characters read as false');
      return { value: summary };
    }
    case 'holdMode': {
      const mode = HOLD_MODE_BY_CHAR[raw];
      // Guessing a hold mode could add or cancel the wrong hold: refuse the message instead.
      if (mode === undefined) {
        return { error: issue('bad-fixed-field', `holdMode: ${JSON.stringify(raw)} is not +, - or *`, field.key) };
      }
      return { value: mode };
    }
  }
}

const HOLD_MODE_BY_CHAR: Readonly<Record<string, HoldMode>> = { '+': 'add', '-': 'cancel', '*': 'change' };
const HOLD_MODE_CHAR: Readonly<Record<HoldMode, string>> = { add: '+', cancel: '-', change: '*' };

interface VariablePart {
  values: Record<string, unknown>;
  extra: Sip2ExtraField[];
  sequenceNumber: number | null;
}

const fieldsBySpec = new WeakMap<MessageSpec, Map<string, VariableFieldSpec>>();

/** True for a two-character field ID: letters and digits (reference §1). */
function isFieldId(text: string, at: number): boolean {
  for (let i = at; i < at + 2; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) return false;
  }
  return true;
}

/** The ID'd fields of `text` from index `from` (the rest of the message after the fixed part). */
function decodeVariablePart(
  spec: MessageSpec,
  text: string,
  from: number,
  mode: ErrorDetectionMode,
  warnings: Sip2Issue[],
): VariablePart | { error: Sip2Issue } {
  let byId = fieldsBySpec.get(spec);
  if (!byId) fieldsBySpec.set(spec, (byId = new Map(spec.fields.map((f) => [f.id, f]))));
  const values: Record<string, unknown> = {};
  const extra: Sip2ExtraField[] = [];
  const seen: string[] = [];
  let sequenceNumber: number | null = null;
  for (const f of spec.fields) if (f.kind === 'list') values[f.key] = [];

  // The last non-empty segment (an AY without AZ must be the last field).
  let lastEnd = text.length;
  while (lastEnd > from && text.charCodeAt(lastEnd - 1) === 0x7c) lastEnd--;
  let at = from;
  while (at < text.length) {
    let next = text.indexOf('|', at);
    if (next < 0) next = text.length;
    const segStart = at;
    at = next + 1;
    // Empty segments: stray `|` after the fixed part, `AD||`, trailing junk `|||` (reference §1).
    if (next === segStart) continue;
    if (next - segStart < 2 || !isFieldId(text, segStart)) {
      warnings.push(issue('malformed-field', `Ignored ${JSON.stringify(text.slice(segStart, Math.min(next, segStart + 8)))}: not a field`));
      continue;
    }
    const id = text.slice(segStart, segStart + 2);
    const value = text.slice(segStart + 2, next);
    if (id === 'AY') {
      // A well-formed AY…AZ trailer has already been stripped; an `AZ` left here is malformed.
      if (value.includes('AZ') && mode !== 'off') {
        return { error: issue('bad-checksum', `Malformed error-detection trailer AY${JSON.stringify(value)}`, 'AZ') };
      }
      // AY without AZ.
      if (next >= lastEnd && value.length === 1 && value >= '0' && value <= '9') sequenceNumber = Number(value);
      else warnings.push(issue('bad-sequence-number', `Ignored AY${JSON.stringify(value)}`, 'AY'));
      continue;
    }
    if (id === 'AZ') {
      if (mode === 'off') continue;
      return { error: issue('bad-checksum', `Malformed checksum field AZ${JSON.stringify(value)}`, 'AZ') };
    }
    const field = byId.get(id);
    if (field === undefined) {
      extra.push({ id, value });
      continue;
    }
    if (field.kind === 'list') {
      (values[field.key] as string[]).push(value);
      continue;
    }
    if (seen.includes(id)) {
      warnings.push(issue('duplicate-field', `${id} appears more than once; kept the first value`, id));
      continue;
    }
    seen.push(id);
    const decoded = decodeVariable(field, value, warnings);
    if (decoded.kept) values[field.key] = decoded.value;
    else if (value !== '') extra.push({ id, value });
  }

  for (const field of spec.fields) {
    if (!field.required || seen.includes(field.id)) continue;
    warnings.push(issue('missing-required-field', `Required field ${field.id} (${field.key}) is missing`, field.id));
    values[field.key] = field.kind === 'supportedMessages' ? decodeSupportedMessages('') : '';
  }
  return { values, extra, sequenceNumber };
}

function decodeVariable(
  field: VariableFieldSpec,
  value: string,
  warnings: Sip2Issue[],
): { kept: true; value: unknown } | { kept: false } {
  switch (field.kind) {
    case 'text':
    case 'list':
      return { kept: true, value };
    case 'flag': {
      const c = value.trim().toUpperCase();
      if (c === 'Y') return { kept: true, value: true };
      if (c === 'N') return { kept: true, value: false };
      return c === '' ? { kept: false } : badVariable(warnings, field, value, 'Y or N');
    }
    case 'number': {
      const trimmed = value.trim();
      if (/^\d+$/.test(trimmed)) return { kept: true, value: Number(trimmed) };
      return trimmed === '' ? { kept: false } : badVariable(warnings, field, value, 'a number');
    }
    case 'date': {
      if (value.trim() === '' && value.length !== 18) return { kept: false };
      const parsed = parseSipDate(value);
      if (parsed === null && !isBlankSipDate(value)) {
        warnings.push(issue('bad-date', `${field.id}: unparsable date ${JSON.stringify(value)}, read as blank`, field.id));
      }
      return { kept: true, value: parsed };
    }
    case 'supportedMessages':
      if (value.length < SUPPORTED_MESSAGE_FLAGS.length) {
        warnings.push(
          issue('bad-field-value', `BX has ${value.length} positions, expected 16; missing ones read as N`, field.id),
        );
      }
      return { kept: true, value: decodeSupportedMessages(value) };
  }
}

/** BX: read positions 0–15 and ignore the rest (reference §5: some servers send 18). */
function decodeSupportedMessages(value: string): SupportedMessages {
  const supported = {} as SupportedMessages;
  SUPPORTED_MESSAGE_FLAGS.forEach((key, i) => (supported[key] = value[i] === 'Y' || value[i] === 'y'));
  return supported;
}

// ---------------------------------------------------------------------------------------------
// Encode

export interface Sip2EncodeOptions {
  /** iconv-lite charset of the account; default `utf-8`. */
  charset?: string;
  /** `CR` (default, the spec) or `CRLF` (per-account, for devices that expect it). */
  terminator?: 'CR' | 'CRLF';
  /** Append `AY<n>AZ<checksum>` (only `AZ` for `96`/`97`). Default false. */
  errorDetection?: boolean;
  /** The `AY` digit. An SC sends its own counter; an ACS echoes the request's. Wrapped to 0–9; default 0. */
  sequenceNumber?: number;
  /** Transliterate to ASCII first (`Čebašek` → `Cebasek`), for terminals that only show ASCII. */
  transliterate?: boolean;
}

export interface Sip2Encoded {
  /** Exactly what goes on the wire, terminator included. */
  bytes: Uint8Array;
  /** The same, as text (decoded back from `bytes`, so unrepresentable characters show as `?`). */
  text: string;
  /** What encode had to repair (sanitised `|`/CR, truncated values, clamped counts…). */
  warnings: Sip2Issue[];
}

/** Thrown by encode for a message object no spec matches (a programming error, not wire input). */
export class Sip2EncodeError extends Error {
  readonly code = 'SIP2_UNKNOWN_COMMAND';
  constructor(message: string) {
    super(message);
    this.name = 'Sip2EncodeError';
  }
}

const FIELD_ID = /^[A-Za-z0-9]{2}$/;

export function encode(message: Sip2Message, options: Sip2EncodeOptions = {}): Sip2Encoded {
  const spec = specFor(message.code);
  if (spec === undefined) throw new Sip2EncodeError(`Cannot encode unknown SIP2 command code ${JSON.stringify(message.code)}`);
  const charset = options.charset ?? DEFAULT_CHARSET;
  const warnings: Sip2Issue[] = [];
  const values = message as unknown as Record<string, unknown>;

  let text: string = spec.code;
  for (const field of spec.fixed) text += encodeFixed(field, values[field.key], warnings);
  for (const field of spec.fields) text += encodeVariable(field, values[field.key], warnings);
  for (const extra of message.extra ?? []) {
    if (!FIELD_ID.test(extra.id) || extra.id === 'AY' || extra.id === 'AZ') {
      warnings.push(issue('invalid-extra-field', `Did not send extra field ${JSON.stringify(extra.id)}`, extra.id));
      continue;
    }
    text += encodeValue(extra.id, String(extra.value), warnings);
  }
  if (options.transliterate) text = transliterateToAscii(text);

  const terminator = options.terminator === 'CRLF' ? '\r\n' : '\r';
  let trailer = '';
  if (options.errorDetection) {
    // 96/97 carry only AZ, never AY (reference §3).
    const resend = spec.code === '96' || spec.code === '97';
    const sequence = ((Math.trunc(options.sequenceNumber ?? 0) % 10) + 10) % 10;
    trailer = resend ? 'AZ' : `AY${sequence}AZ`;
  }
  // Trailer and terminator are ASCII, identical in every supported charset, so the text and the
  // trailer are encoded together; the checksum (over the bytes up to "AZ") and the terminator are
  // written into the room left at the end. One buffer per message.
  const textBytes = encodeCharset(text, charset);
  const same = representable(text, charset, textBytes);
  const wireText = same ? text : decodeCharset(textBytes, charset);
  if (!same) {
    warnings.push(
      issue('unrepresentable-character', `Some characters cannot be represented in ${charset} and were sent as "?"`),
    );
  }
  const headLength = textBytes.length + trailer.length;
  const tailLength = (options.errorDetection ? 4 : 0) + terminator.length;
  const bytes = new Uint8Array(headLength + tailLength);
  bytes.set(textBytes, 0);
  writeAscii(bytes, textBytes.length, trailer);
  const tail = options.errorDetection ? computeChecksum(bytes.subarray(0, headLength)) + terminator : terminator;
  writeAscii(bytes, headLength, tail);
  return { bytes, text: wireText + trailer + tail, warnings };
}

function writeAscii(into: Uint8Array, at: number, text: string): void {
  for (let i = 0; i < text.length; i++) into[at + i] = text.charCodeAt(i) & 0x7f;
}

const FIXED_UNSAFE = /[|\r\n\u0000]/;
const FIXED_UNSAFE_ALL = /[|\r\n\u0000]/g;

function fit(raw: string, width: number, key: string, padLeftWithZero: boolean, warnings: Sip2Issue[]): string {
  const clean = FIXED_UNSAFE.test(raw) ? raw.replace(FIXED_UNSAFE_ALL, ' ') : raw;
  if (clean !== raw) warnings.push(issue('sanitised-value', `${key}: replaced delimiter/control characters`, key));
  if (clean.length === width) return clean;
  if (clean.length > width) {
    warnings.push(issue('truncated-value', `${key}: ${JSON.stringify(clean)} cut to ${width} characters`, key));
    return clean.slice(0, width);
  }
  if (!(padLeftWithZero && /^\d+$/.test(clean))) {
    if (clean.length > 0) warnings.push(issue('bad-fixed-value', `${key}: ${JSON.stringify(clean)} padded to ${width}`, key));
    return clean.padEnd(width, ' ');
  }
  return clean.padStart(width, '0');
}

function flagString(keys: readonly string[], values: Record<string, unknown>): string {
  let out = '';
  for (const key of keys) out += values[key] ? 'Y' : ' ';
  return out;
}

function encodeFixed(field: FixedFieldSpec, value: unknown, warnings: Sip2Issue[]): string {
  switch (field.kind) {
    case 'flag':
      return value === true ? 'Y' : 'N';
    case 'flagOrUnknown':
      return value === true ? 'Y' : value === false ? 'N' : 'U';
    case 'ok':
      return value === true ? '1' : '0';
    case 'date':
      return formatSipDate(value as SipDateTime | null | undefined, field.blank ?? ' ');
    case 'count': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return ' '.repeat(field.width);
      const max = 10 ** field.width - 1;
      const n = Math.trunc(value);
      const clamped = Math.min(Math.max(n, 0), max);
      if (clamped !== n) {
        warnings.push(issue('bad-fixed-value', `${field.key}: ${n} does not fit ${field.width} digits, sent ${clamped}`, field.key));
      }
      return String(clamped).padStart(field.width, '0');
    }
    case 'digits':
      return fit(String(value ?? ''), field.width, field.key, true, warnings);
    case 'text':
      return fit(String(value ?? ''), field.width, field.key, false, warnings);
    case 'patronStatus': {
      return flagString(PATRON_STATUS_FLAGS, (value ?? {}) as Record<string, unknown>);
    }
    case 'summary': {
      const summary = (value ?? {}) as Partial<PatronSummary>;
      const flags = flagString(PATRON_SUMMARY_FLAGS, summary as Record<string, unknown>);
      return flags + fit(summary.reserved ?? '', 4, 'summary.reserved', false, []);
    }
    case 'holdMode': {
      const char = HOLD_MODE_CHAR[value as HoldMode];
      if (char !== undefined) return char;
      // No safe default exists (add? cancel?); send a character the receiver will refuse.
      warnings.push(issue('bad-fixed-value', `holdMode: ${JSON.stringify(value)} is not add, cancel or change`, field.key));
      return ' ';
    }
  }
}

function encodeValue(id: string, raw: string, warnings: Sip2Issue[]): string {
  const display = DISPLAY_FIELD_IDS.has(id);
  // Most values need nothing done: checked without building anything.
  if (raw.length <= MAX_VARIABLE_FIELD_LENGTH && !needsSanitising(raw, display)) return `${id}${raw}|`;
  const { value, sanitised, truncated } = sanitiseValue(raw, { display });
  if (sanitised) warnings.push(issue('sanitised-value', `${id}: replaced delimiter/control characters`, id));
  if (truncated) warnings.push(issue('truncated-value', `${id}: cut to 255 characters`, id));
  return `${id}${value}|`;
}

function encodeVariable(field: VariableFieldSpec, value: unknown, warnings: Sip2Issue[]): string {
  const { id } = field;
  if (value === undefined || (value === null && field.kind !== 'date')) {
    if (!field.required) return '';
    return field.kind === 'supportedMessages' ? encodeValue(id, 'N'.repeat(16), warnings) : `${id}|`;
  }
  switch (field.kind) {
    case 'list': {
      if (!Array.isArray(value)) return encodeValue(id, String(value), warnings);
      let out = '';
      for (const item of value) out += encodeValue(id, String(item), warnings);
      return out;
    }
    case 'text':
      return encodeValue(id, String(value), warnings);
    case 'flag':
      return `${id}${value === true ? 'Y' : 'N'}|`;
    case 'number': {
      const n = Math.max(0, Math.trunc(Number(value)));
      if (!Number.isFinite(n)) return field.required ? `${id}|` : '';
      const digits = String(n);
      if (field.width === undefined) return `${id}${digits}|`;
      const max = 10 ** field.width - 1;
      if (n > max) warnings.push(issue('bad-fixed-value', `${id}: ${n} does not fit ${field.width} digits, sent ${max}`, id));
      return `${id}${String(Math.min(n, max)).padStart(field.width, '0')}|`;
    }
    case 'date':
      return `${id}${formatSipDate(value as SipDateTime | null)}|`;
    case 'supportedMessages': {
      const supported = value as Partial<SupportedMessages>;
      let flags = '';
      for (const key of SUPPORTED_MESSAGE_FLAGS) flags += supported[key] ? 'Y' : 'N';
      return `${id}${flags}|`;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers for the server/client roles (reference §3)

/**
 * True when decoding failed because of the checksum (bad, malformed or missing while required):
 * the ACS answers `96` Request SC Resend; an SC sends `97`.
 */
export function isChecksumFailure(result: Sip2DecodeResult): boolean {
  return !result.ok && result.errors.some((e) => e.code === 'bad-checksum' || e.code === 'missing-checksum');
}

/**
 * True when `current` repeats `previous` (same `AY` and same `AZ`): a retransmission. The ACS must
 * resend its last reply and NOT execute the request again (no double checkout or payment).
 */
export function isRetransmission(
  previous: Pick<DecodeEnvelope, 'sequenceNumber' | 'checksum'> | null | undefined,
  current: Pick<DecodeEnvelope, 'sequenceNumber' | 'checksum'>,
): boolean {
  if (previous == null || previous.checksum === null || current.checksum === null) return false;
  if (previous.sequenceNumber === null || current.sequenceNumber === null) return false;
  return (
    previous.sequenceNumber === current.sequenceNumber &&
    previous.checksum.toUpperCase() === current.checksum.toUpperCase()
  );
}
