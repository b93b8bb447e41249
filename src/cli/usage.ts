import { DEFAULT_WIDTH } from './terminal-width';
import { MIN_WIDTH } from './waterfall-layout';

/** The text `tracebridge --help` prints. */
export const USAGE = `Usage: tracebridge view <file> [options]

Prints the traces in an OpenTelemetry OTLP/JSON file as waterfalls: one row per span, children under
their parents, each trace on its own time axis. No tracing backend needed.

  <file>               JSON lines, one ExportTraceServiceRequest per line, as the OpenTelemetry
                       collector's file exporter writes them; or one such JSON document.
                       "-" reads standard input.

Options:
  --trace <id>         print only this trace: its id, or the first digits of it
  --width <columns>    fit lines in this many columns (at least ${MIN_WIDTH}); default: the terminal's
                       width, else $COLUMNS, else ${DEFAULT_WIDTH}
  --color, --no-color  colour on or off; default: on for a terminal with colours, and
                       honouring NO_COLOR and FORCE_COLOR
  -h, --help           print this help
  --version            print the version

Exit status: 0 printed; 1 the file cannot be read, holds no spans, or lacks the trace; 2 bad usage.
`;
