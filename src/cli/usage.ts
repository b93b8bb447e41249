import { MAX_LATEST } from './cli-args';
import { DEFAULT_WIDTH } from './terminal-width';
import { MIN_WIDTH } from './waterfall-layout';

/** The text `tracebridge --help` prints. */
export const USAGE = `Usage: tracebridge view <file> [options]
       tracebridge view [<file>...] [options]
       tracebridge view --zipkin <url> | --jaeger <url>  (--trace <id> | --latest <n>) [options]

Prints traces as waterfalls: one row per span, children under their parents, each trace on its own
time axis. No tracing backend needed; or fetch the traces from a running one.

  <file>...            trace JSON in any of these formats, told apart by their content:
                         OTLP/JSON: JSON lines (one ExportTraceServiceRequest per line, as the
                           OpenTelemetry collector's file exporter writes them) or one document;
                         Zipkin v2: what /api/v2/trace/{id} and /api/v2/traces return;
                         Jaeger: its query API's {"data": [...]} (and the UI's "Download JSON"),
                           and its v3 API's {"result": {"resourceSpans": ...}}.
                       Several files are read as one set of spans. "-", or no file when input is
                       piped, reads standard input. Files are read line by line.

Options:
  --trace <id>         print only this trace: its id, or the first digits of it (with a backend:
                       the whole id, which is fetched)
  --zipkin <url>       fetch from a Zipkin server (http://127.0.0.1:9411)
  --jaeger <url>       fetch from Jaeger's query service (http://127.0.0.1:16686)
  --latest <n>         with a backend: its n most recent traces (1 to ${MAX_LATEST})
  --timeout <seconds>  with a backend: how long each request may take; default: 10
  --fold-links         draw a trace that only links others (a Kafka batch span's own trace) inside
                       each trace it links, under the span it links, so an order reads as one picture
  --width <columns>    fit lines in this many columns (at least ${MIN_WIDTH}); default: the terminal's
                       width, else $COLUMNS, else ${DEFAULT_WIDTH}
  --color, --no-color  colour on or off; default: on for a terminal with colours, and
                       honouring NO_COLOR and FORCE_COLOR
  -h, --help           print this help
  --version            print the version

Exit status: 0 printed; 1 the input cannot be read or fetched, holds no spans, or lacks the trace;
2 bad usage.
`;
