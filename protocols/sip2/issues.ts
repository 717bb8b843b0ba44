/**
 * Problems the SIP2 codec reports. Decoding never throws: everything it finds wrong is returned as
 * one of these, either as an error (the message could not be decoded, `ok: false`) or as a warning
 * (the message was decoded, but something was tolerated or repaired on the way).
 */

export type Sip2IssueCode =
  // ---- decode errors (ok: false) ----
  /** Nothing but terminators / NULs. */
  | 'empty-message'
  /** The 2-char command code is not a SIP2 2.00 message. The ACS must not reply (reference §1). */
  | 'unknown-command'
  /** Fewer characters after the command code than the message's fixed part needs. */
  | 'short-fixed-part'
  /** `AZ` checksum present but wrong (reference §3): a server answers `96`. */
  | 'bad-checksum'
  /** Error detection is `on` but the message carries no `AZ` checksum: a server answers `96`. */
  | 'missing-checksum'
  /** The configured character set is not known to iconv-lite. */
  | 'unsupported-charset'
  // ---- decode warnings (ok: true) ----
  /** The fixed part is longer than the spec says; the extra characters were skipped. */
  | 'fixed-part-length'
  /** A fixed field held an unexpected value (e.g. `X` where `Y`/`N` belongs); a default was used. */
  | 'bad-fixed-field'
  /** An 18-char date could not be parsed; the field decodes as `null` (the message is kept). */
  | 'bad-date'
  /** `AY` present but not a single digit. */
  | 'bad-sequence-number'
  /** A field the spec marks required is absent; an empty value was used. */
  | 'missing-required-field'
  /** A non-repeatable field appeared twice; the first value was kept. */
  | 'duplicate-field'
  /** A `|`-delimited segment too short to hold a 2-char field ID. */
  | 'malformed-field'
  /** A known field whose value has the wrong shape (non-numeric count, `X` for a Y/N flag). */
  | 'bad-field-value'
  /** NUL bytes were removed (reference §1: NUL must not appear). */
  | 'nul-byte'
  /** Bytes that are not valid in the configured character set (decoded as U+FFFD). */
  | 'invalid-encoding'
  /** Data after a terminator inside one decode call; only the first message was decoded. */
  | 'trailing-data'
  // ---- encode warnings ----
  /** `|`, CR, LF, NUL or (in display fields) control characters were replaced. */
  | 'sanitised-value'
  /** A variable field was cut to 255 characters, or a fixed field to its width. */
  | 'truncated-value'
  /** The account's character set cannot represent some characters; they were sent as `?`. */
  | 'unrepresentable-character'
  /** A fixed field value did not fit its format (e.g. a count above 9999); it was clamped/padded. */
  | 'bad-fixed-value'
  /** An `extra` field with an ID that is not two letters/digits, or is `AY`/`AZ`; it was not sent. */
  | 'invalid-extra-field';

export interface Sip2Issue {
  code: Sip2IssueCode;
  /** Human-readable explanation for logs (never contains a password or PIN). */
  message: string;
  /** The two-letter field ID (`AB`) or fixed field name (`transactionDate`) concerned, if any. */
  field?: string;
}

export function issue(code: Sip2IssueCode, message: string, field?: string): Sip2Issue {
  return field === undefined ? { code, message } : { code, message, field };
}
