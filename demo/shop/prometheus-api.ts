/**
 * A real Prometheus server, asked over its HTTP API: instant PromQL queries, and a run's own scrape
 * targets through the file service discovery `scripts/brokers.mjs` configures (job
 * `tracebridge-demo-runs`), so a run on free ports is scraped without restarting Prometheus.
 * @see https://prometheus.io/docs/prometheus/latest/querying/api/
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where `node scripts/brokers.mjs start` runs Prometheus. */
export const PROMETHEUS_URL = 'http://127.0.0.1:9090';

/** The PromQL that shows, per hop, the 95th percentile of the time messages waited in the queue. */
export const TIME_IN_QUEUE_PROMQL =
  'histogram_quantile(0.95, sum by (le, messaging_destination_name) (rate(tracebridge_messaging_time_in_queue_bucket[5m])))';

/** The PromQL that shows, per hop, the 95th percentile of the latency since the originating request. */
export const END_TO_END_PROMQL =
  'histogram_quantile(0.95, sum by (le, messaging_destination_name) (rate(tracebridge_messaging_end_to_end_duration_bucket[5m])))';

/** One series of an instant query's result vector. */
export interface PrometheusSeries {
  readonly labels: Readonly<Record<string, string>>;
  /** Seconds since the epoch of the evaluation (or of the sample, under `timestamp()`). */
  readonly time: number;
  readonly value: number;
}

interface QueryResponse {
  readonly status: 'success' | 'error';
  readonly error?: string;
  readonly data?: {
    readonly resultType: string;
    readonly result: readonly { metric: Record<string, string>; value: [number, string] }[];
  };
}

/** GETs `path` from Prometheus; when none answers, says how to get one (it is a failure, not a skip). */
async function fetchPrometheus(path: string, baseUrl: string): Promise<Response> {
  try {
    return await fetch(`${baseUrl}${path}`);
  } catch (error) {
    throw new Error(
      `no Prometheus answers at ${baseUrl}: install it (apt-get install prometheus) and run ` +
        '`node scripts/brokers.mjs start prometheus`',
      { cause: error },
    );
  }
}

/** Runs an instant PromQL query; throws, naming the server and the query, when Prometheus cannot answer. */
export async function queryPrometheus(promql: string, baseUrl = PROMETHEUS_URL): Promise<PrometheusSeries[]> {
  const response = await fetchPrometheus(`/api/v1/query?query=${encodeURIComponent(promql)}`, baseUrl);
  const body = (await response.json()) as QueryResponse;
  if (body.status !== 'success' || body.data === undefined) {
    throw new Error(`Prometheus refused ${promql}: HTTP ${response.status} ${body.error ?? ''}`);
  }
  if (body.data.resultType !== 'vector') {
    throw new Error(`Prometheus answered ${promql} with a ${body.data.resultType}, not a vector`);
  }
  return body.data.result.map(({ metric, value: [time, value] }) => ({
    labels: metric,
    time,
    value: Number(value),
  }));
}

/** The file glob of the `tracebridge-demo-runs` job in the running Prometheus's loaded configuration. */
async function runTargetsGlob(baseUrl: string): Promise<string> {
  const response = await fetchPrometheus('/api/v1/status/config', baseUrl);
  const body = (await response.json()) as { data?: { yaml?: string } };
  const job = body.data?.yaml?.split('- job_name: ').find((j) => j.startsWith('tracebridge-demo-runs'));
  const glob =
    job === undefined ? undefined : /file_sd_configs:\s*-\s*files:\s*-\s*(\S+\.json)/.exec(job)?.[1];
  if (glob === undefined) {
    throw new Error(
      `the Prometheus at ${baseUrl} has no tracebridge-demo-runs job with target files: ` +
        'start it with `node scripts/brokers.mjs start prometheus`',
    );
  }
  return glob;
}

/** A run's own scrape targets, listed until `remove()`. */
export interface RunTargets {
  /** The `tracebridge_run` label Prometheus puts on every series it scrapes from these targets. */
  readonly run: string;
  remove(): void;
}

/**
 * Has the running Prometheus scrape `ports` (service name → metrics port on 127.0.0.1), each series
 * labelled `service` and `tracebridge_run`, by writing a target file where its file discovery looks.
 */
export async function addRunTargets(
  run: string,
  ports: Readonly<Record<string, number>>,
  baseUrl = PROMETHEUS_URL,
): Promise<RunTargets> {
  const glob = await runTargetsGlob(baseUrl);
  const file = join(dirname(glob), `${run.replace(/[^A-Za-z0-9_-]/g, '_')}.json`);
  const groups = Object.entries(ports).map(([service, port]) => ({
    targets: [`127.0.0.1:${port}`],
    labels: { service, tracebridge_run: run },
  }));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(groups, null, 2));
  return { run, remove: () => rmSync(file, { force: true }) };
}
