/**
 * A minimal PDF 1.4 writer of our own (signed enrolment forms and loan receipts, domain.md §9.3) and
 * a reader for its own output. Pure: no I/O, no clock, no randomness.
 */
export * from './text-encoding.ts';
export * from './writer.ts';
export * from './inspect.ts';
