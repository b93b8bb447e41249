/** The tracebridge version, reported as the instrumentation scope version of its tracer and meter. */
export const VERSION = '0.1.0';

/** The instrumentation scope name of every tracer and meter tracebridge creates. */
export const INSTRUMENTATION_NAME = 'tracebridge';
