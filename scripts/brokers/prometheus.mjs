// Prometheus: the system binary (Debian's `prometheus` package), when installed, on 127.0.0.1:9090, scraping
// the demo's five services every second. Its config, data and log live under .cache/prometheus/.
//
// Two jobs: `tracebridge-demo` scrapes the documented ports of `npm run demo` (9464–9468);
// `tracebridge-demo-runs` scrapes whatever target files are in .cache/prometheus/targets/ (file service
// discovery), so a test run on free ports can list its own endpoints, labelled with its run, and remove
// them afterwards without restarting Prometheus.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE, HOST, STATE, commandExists, httpStatus, launchDetached } from './shared.mjs';

const DIR = join(CACHE, 'prometheus');
const DATA = join(DIR, 'data');
const TARGETS = join(DIR, 'targets');
const CONFIG = join(DIR, 'prometheus.yml');
const PORT = 9090;

/** The demo's services and their fixed metrics ports (demo/shop/shop-config.ts). */
const DEMO_SERVICES = { gateway: 9464, orders: 9465, inventory: 9466, notifier: 9467, receipts: 9468 };

function prometheusConfig() {
  const staticConfigs = Object.entries(DEMO_SERVICES).flatMap(([service, port]) => [
    `      - targets: ['${HOST}:${port}']`,
    `        labels: { service: ${service} }`,
  ]);
  return [
    '# Written by scripts/brokers/prometheus.mjs on every start; edit the script, not this file.',
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: tracebridge-demo',
    '    static_configs:',
    ...staticConfigs,
    '  - job_name: tracebridge-demo-runs',
    '    file_sd_configs:',
    `      - files: ['${join(TARGETS, '*.json')}']`,
    '        refresh_interval: 5s',
    '',
  ].join('\n');
}

export const prometheus = {
  name: 'prometheus',
  port: PORT,
  boundMs: 60_000,
  pidFile: join(STATE, 'prometheus.pid'),
  marker: 'prometheus',
  logs: [join(DIR, 'prometheus.log')],

  /** Prometheus is optional for the brokers: without it only the demo's end-to-end test fails (loudly). */
  async missing() {
    if (await commandExists('prometheus')) return null;
    return (
      'prometheus is not installed, so not started (apt-get install prometheus); ' +
      "the demo's end-to-end test (test/integration/demo) fails without it"
    );
  },

  startingMessage: () => 'prometheus starting (system prometheus, scraping the demo every 1 s)...',

  async launch() {
    mkdirSync(DATA, { recursive: true });
    mkdirSync(TARGETS, { recursive: true });
    writeFileSync(CONFIG, prometheusConfig());
    return launchDetached(
      'prometheus',
      [
        `--config.file=${CONFIG}`,
        `--storage.tsdb.path=${DATA}`,
        '--storage.tsdb.retention.time=6h',
        `--web.listen-address=${HOST}:${PORT}`,
      ],
      { outFile: this.logs[0], pidFile: this.pidFile, env: process.env },
    );
  },

  ready: async () => (await httpStatus(PORT, '/-/ready')) === 200,
};
