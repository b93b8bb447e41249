// Zipkin: the exec jar from Maven Central (zipkin-pom.xml, cached under .cache/zipkin/), in-memory
// storage, on 127.0.0.1:9411.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  BrokerError,
  CACHE,
  HERE,
  HOST,
  JAVA,
  STATE,
  ensureArtifacts,
  httpStatus,
  launchDetached,
  pomProperty,
  requireJava,
} from './shared.mjs';

const ZIPKIN_DIR = join(CACHE, 'zipkin');
const ZIPKIN_POM = join(HERE, 'zipkin-pom.xml');

function zipkinJar() {
  try {
    const jar = readdirSync(ZIPKIN_DIR).find((f) => /^zipkin-server-.*-exec\.jar$/.test(f));
    return jar ? join(ZIPKIN_DIR, jar) : null;
  } catch {
    return null;
  }
}

export const zipkin = {
  name: 'zipkin',
  port: 9411,
  boundMs: 90_000,
  pidFile: join(STATE, 'zipkin.pid'),
  marker: 'zipkin-server',
  logs: [join(ZIPKIN_DIR, 'zipkin.log')],

  startingMessage: () =>
    existsSync(join(ZIPKIN_DIR, '.complete'))
      ? `zipkin ${pomProperty(ZIPKIN_POM, 'zipkin.version')} starting (in-memory storage)...`
      : `zipkin ${pomProperty(ZIPKIN_POM, 'zipkin.version')} starting (first run downloads the jar via mvn)...`,

  async launch() {
    await requireJava('zipkin');
    await ensureArtifacts('zipkin', ZIPKIN_POM, ZIPKIN_DIR, [
      'dependency:copy-dependencies',
      '-DexcludeTransitive=true',
    ]);
    const jar = zipkinJar();
    if (jar === null) throw new BrokerError(`zipkin: no zipkin-server-*-exec.jar in ${ZIPKIN_DIR}`);
    return launchDetached(
      JAVA,
      [
        '-Xms64m',
        '-Xmx256m',
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true',
        '-jar',
        jar,
        // Overriding one element of Armeria's port list replaces the whole list, so all three are given.
        `--armeria.ports[0].ip=${HOST}`,
        `--armeria.ports[0].port=${this.port}`,
        '--armeria.ports[0].protocols[0]=http',
        '--spring.main.banner-mode=off',
      ],
      {
        outFile: this.logs[0],
        pidFile: this.pidFile,
        env: { ...process.env, STORAGE_TYPE: 'mem', MEM_MAX_SPANS: '200000', SELF_TRACING_ENABLED: 'false' },
      },
    );
  },

  ready: async () => (await httpStatus(9411, '/health')) === 200,
};
