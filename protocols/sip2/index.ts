/**
 * SIP2 2.00 codec (3M Standard Interchange Protocol): pure, no I/O, no clock, no randomness.
 *
 *   const framer = new Sip2Framer({ maxLength: 8192 });
 *   for (const frame of framer.push(chunk)) {
 *     if (frame.type === 'oversized') { ...close the connection...; continue; }
 *     const result = decode(frame.bytes, { charset: 'cp850', errorDetection: 'auto' });
 *     if (!result.ok) { if (isChecksumFailure(result)) send(encode({ code: '96' }, ...)); continue; }
 *     ...handle result.message (narrow on result.message.code)...
 *     socket.write(encode(reply, { charset, errorDetection: true, sequenceNumber: result.sequenceNumber ?? 0 }).bytes);
 *   }
 *
 * Wire reference: shared/reference/sip2.md.
 */

export {
  decode,
  encode,
  isChecksumFailure,
  isRetransmission,
  Sip2EncodeError,
  type ErrorDetectionMode,
  type Sip2ChecksumStatus,
  type Sip2Decoded,
  type Sip2DecodeFailure,
  type Sip2DecodeOptions,
  type Sip2DecodeResult,
  type Sip2Encoded,
  type Sip2EncodeOptions,
} from './codec.ts';

export {
  checksumValue,
  computeChecksum,
  findTrailer,
  nextSequenceNumber,
  verifyChecksum,
  type ChecksumStatus,
  type ChecksumVerification,
  type Sip2Trailer,
} from './checksum.ts';

export {
  formatSipDate,
  formatSipDateAt,
  isBlankSipDate,
  parseSipDate,
  SIP_DATE_LENGTH,
  sipDateFromInstant,
  sipDateToInstant,
  sipEndOfDay,
  sipDateUtcFromInstant,
  type SipDateTime,
} from './datetime.ts';

export {
  DEFAULT_CHARSET,
  decodeCharset,
  encodeCharset,
  isSupportedCharset,
  Sip2CharsetError,
  transliterateToAscii,
} from './charset.ts';

export {
  createSip2Framer,
  DEFAULT_MAX_MESSAGE_BYTES,
  Sip2Framer,
  type Sip2Frame,
  type Sip2FramerOptions,
} from './framer.ts';

export { MASK, maskWire, printable, redactMessage, SECRET_FIELD_IDS } from './mask.ts';

export { DISPLAY_FIELD_IDS, MAX_VARIABLE_FIELD_LENGTH, sanitiseValue, type SanitisedValue } from './sanitise.ts';

export type { Sip2Issue, Sip2IssueCode } from './issues.ts';

export {
  fixedPartWidth,
  isSip2CommandCode,
  MESSAGE_SPECS,
  RESPONSE_CODE_FOR,
  specFor,
  type FixedFieldSpec,
  type MessageSpec,
  type VariableFieldSpec,
} from './spec.ts';

export {
  ALERT_TYPE,
  CIRCULATION_STATUS,
  FEE_TYPE,
  HOLD_TYPE,
  LANGUAGE,
  makePatronStatus,
  makeSummary,
  makeSupportedMessages,
  MEDIA_TYPE,
  PAYMENT_TYPE,
  SC_STATUS_CODE,
  SECURITY_MARKER,
  summaryCategory,
  type SummaryCategory,
} from './values.ts';

export {
  PATRON_STATUS_FLAGS,
  PATRON_SUMMARY_FLAGS,
  SUPPORTED_MESSAGE_FLAGS,
  type AcsStatusResponse,
  type BlockPatronRequest,
  type CheckinRequest,
  type CheckinResponse,
  type CheckoutRequest,
  type CheckoutResponse,
  type EndPatronSessionRequest,
  type EndSessionResponse,
  type FeePaidRequest,
  type FeePaidResponse,
  type HoldMode,
  type HoldRequest,
  type HoldResponse,
  type ItemInformationRequest,
  type ItemInformationResponse,
  type ItemStatusUpdateRequest,
  type ItemStatusUpdateResponse,
  type LoginRequest,
  type LoginResponse,
  type PatronEnableRequest,
  type PatronEnableResponse,
  type PatronInformationRequest,
  type PatronInformationResponse,
  type PatronStatus,
  type PatronStatusRequest,
  type PatronStatusResponse,
  type PatronSummary,
  type RenewAllRequest,
  type RenewAllResponse,
  type RenewRequest,
  type RenewResponse,
  type RequestAcsResend,
  type RequestScResend,
  type ScStatusRequest,
  type Sip2CommandCode,
  type Sip2ExtraField,
  type Sip2Message,
  type Sip2MessageOf,
  type Sip2Request,
  type Sip2Response,
  type SupportedMessages,
  type YesNoUnknown,
} from './types.ts';
