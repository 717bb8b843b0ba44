/**
 * Signature tablets: Wacom STU HID reports, signotec STPadServer JSON messages, the tablet page-text
 * markup and the stroke model with SVG rendering. Pure: no I/O, no clock.
 */
export * from './wacom-stu.ts';
export * from './signotec.ts';
export * from './page-text.ts';
export * from './strokes.ts';
