/**
 * The waterfall viewer as a library: read OTLP/JSON trace files and print their traces, as the
 * `tracebridge view` command does (for example at the end of a demo, from the files its services write).
 * @packageDocumentation
 */
export { parseOtlpJson } from './parse-otlp-json';
export type { OtlpParseProblem, OtlpParseResult } from './parse-otlp-json';
export { DEFAULT_WATERFALL_OPTIONS, renderWaterfall } from './render-waterfall';
export type { WaterfallOptions } from './render-waterfall';
export { shouldUseColor } from './color-support';
export type { ColorContext } from './color-support';
export { resolveWidth } from './terminal-width';
export type { WidthContext } from './terminal-width';
export type {
  SpanKindName,
  SpanLinkTarget,
  SpanStatusName,
  TraceAttributeValue,
  TraceSpan,
} from './trace-span';
