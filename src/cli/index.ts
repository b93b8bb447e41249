/**
 * The waterfall viewer as a library: read trace JSON (OTLP, Zipkin v2, Jaeger) and print its traces, as
 * the `tracebridge view` command does (for example at the end of a demo, from the files its services
 * write).
 * @packageDocumentation
 */
export { parseOtlpJson } from './parse-otlp-json';
export type { OtlpParseProblem, OtlpParseResult } from './parse-otlp-json';
export { parseTraceJson, readTraceJson } from './parse-trace-json';
export type { TraceParseResult } from './parse-trace-json';
export type { TraceFormat } from './trace-documents';
export { DEFAULT_JSON_LIMITS } from './json-documents';
export type { JsonLimits } from './json-documents';
export { foldLinkedTraces } from './fold-links';
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
