/**
 * A span exporter that appends each batch to a file as one line of OTLP/JSON (an
 * `ExportTraceServiceRequest`), the format the OpenTelemetry collector's `file` exporter writes and
 * `tracebridge view` reads. The demo's embedded default: traces reach the printer with no backend.
 *
 * The encoding is the OpenTelemetry SDK's own (`JsonTraceSerializer`), so the file is what a collector
 * would receive over OTLP/HTTP with JSON.
 */
import { appendFile } from 'node:fs/promises';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

export class OtlpJsonLinesExporter implements SpanExporter {
  /** Appends in call order, so lines never interleave and `forceFlush` can wait for the last one. */
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const encoded = JsonTraceSerializer.serializeRequest(spans);
    if (encoded === undefined) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('spans could not be encoded') });
      return;
    }
    const line = Buffer.concat([encoded, Buffer.from('\n')]);
    this.writing = this.writing.then(() =>
      appendFile(this.file, line).then(
        () => resultCallback({ code: ExportResultCode.SUCCESS }),
        (error: unknown) =>
          resultCallback({
            code: ExportResultCode.FAILED,
            error: error instanceof Error ? error : new Error(String(error)),
          }),
      ),
    );
  }

  forceFlush(): Promise<void> {
    return this.writing;
  }

  shutdown(): Promise<void> {
    return this.writing;
  }
}
