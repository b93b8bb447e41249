import type { BackendSource } from './cli-args';
import { boundedText } from './foreign-text';
import { isRecord } from './otlp-any-value';

/** What a fetch from a backend needs besides the backend. */
export interface FetchOptions {
  /** A whole trace id, or `undefined` with `latest`. */
  readonly traceId: string | undefined;
  /** How many recent traces, or `undefined` with `traceId`. */
  readonly latest: number | undefined;
  /** How long one request may take, headers and body. */
  readonly timeoutMs: number;
  /** The most bytes one response body may have. */
  readonly maxBytes: number;
  /** Node's built-in fetch, or another with its shape. */
  readonly fetch: typeof fetch;
}

/** The defaults: 10 s a request, 64 MiB a response (what the file reader holds of one document). */
export const DEFAULT_FETCH_LIMITS = Object.freeze({ timeoutMs: 10_000, maxBytes: 64 * 1024 * 1024 });

/** The response bodies (JSON documents to read as traces), or why there are none. */
export type FetchResult = { readonly bodies: readonly string[] } | { readonly error: string };

/** How many services `--jaeger --latest` asks for traces at most (its API has no "any service" query). */
const MAX_JAEGER_SERVICES = 50;

/**
 * Fetches traces from a running backend's HTTP API:
 *
 * - Zipkin: `GET /api/v2/trace/{id}`, or `GET /api/v2/traces?limit=N` for the latest traces;
 * - Jaeger: `GET /api/traces/{id}`, or for the latest traces `GET /api/services` and then
 *   `GET /api/traces?service=S&limit=N` for each service (Jaeger asks for a service).
 *
 * Paths are resolved under the given URL, so a backend behind a path prefix works. Never rejects.
 * @see https://zipkin.io/zipkin-api/
 * @see https://www.jaegertracing.io/docs/latest/apis/#http-json
 */
export async function fetchTraces(backend: BackendSource, options: FetchOptions): Promise<FetchResult> {
  const base = backend.url.endsWith('/') ? backend.url : `${backend.url}/`;
  const get = (path: string): Promise<Body> => getText(new URL(path, base), options);
  const id = options.traceId;
  if (backend.kind === 'zipkin') {
    const body = await get(id !== undefined ? `api/v2/trace/${id}` : `api/v2/traces?limit=${options.latest}`);
    return 'error' in body ? body : { bodies: [body.text] };
  }
  if (id !== undefined) {
    const body = await get(`api/traces/${id}`);
    return 'error' in body ? body : { bodies: [body.text] };
  }
  const services = await get('api/services');
  if ('error' in services) return services;
  const names = serviceNames(services.text);
  if (names === undefined) return { error: `${base}api/services did not answer a list of services` };
  const bodies: string[] = [];
  for (const name of names) {
    const body = await get(`api/traces?service=${encodeURIComponent(name)}&limit=${options.latest}`);
    if ('error' in body) return body;
    bodies.push(body.text);
  }
  return { bodies };
}

type Body = { readonly text: string } | { readonly error: string };

/** One GET: the body as UTF-8 text, within the timeout and the size bound; or a message saying why not. */
async function getText(url: URL, { fetch, timeoutMs, maxBytes }: FetchOptions): Promise<Body> {
  const where = url.href;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, { signal, headers: { accept: 'application/json' } });
    if (response.status === 404) {
      await response.body?.cancel();
      return { error: `${where}: not found (HTTP 404): no such trace, or not the backend's API at this URL` };
    }
    if (!response.ok) {
      await response.body?.cancel();
      return {
        error: `${where}: HTTP ${response.status} ${boundedText(response.statusText) ?? ''}`.trimEnd(),
      };
    }
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) {
      await response.body?.cancel();
      return { error: `${where}: the response (${declared} bytes) is larger than ${maxBytes} bytes` };
    }
    return await readBounded(response, maxBytes, where);
  } catch (error) {
    if (signal.aborted) return { error: `${where}: no answer within ${timeoutMs / 1000} s` };
    return { error: `${where}: ${reasonOf(error)}` };
  }
}

/** The body, read chunk by chunk so that a response without a length cannot grow past `maxBytes`. */
async function readBounded(response: Response, maxBytes: number, where: string): Promise<Body> {
  if (response.body === null) return { text: '' };
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    size += read.value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return { error: `${where}: the response is larger than ${maxBytes} bytes` };
    }
    chunks.push(read.value);
  }
  return { text: Buffer.concat(chunks).toString('utf8') };
}

/** Jaeger's `{ "data": ["service", ...] }`, without its own query service. */
function serviceNames(text: string): string[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || !Array.isArray(value['data'])) return undefined;
  return (value['data'] as unknown[])
    .filter(
      (name): name is string =>
        typeof name === 'string' && name !== 'jaeger-query' && name !== 'jaeger-all-in-one',
    )
    .slice(0, MAX_JAEGER_SERVICES);
}

/** Node's fetch wraps the network error (`ECONNREFUSED`, `ENOTFOUND`) as the cause of "fetch failed". */
function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return `cannot connect (${cause.code})`;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
