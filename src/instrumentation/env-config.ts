import { logger } from '../core/diagnostics';
import type { DefaultsScope } from '../core/instrumentation-defaults';
import type { IncomingPolicy } from '../core/trust-policy';
import type { MessagingSemconvStability, TracebridgeTransportConfig } from './instrumentation-config';

type Env = Readonly<Record<string, string | undefined>>;

const POLICIES: readonly IncomingPolicy[] = ['parent', 'link', 'ignore'];

/** `TRACEBRIDGE_<SCOPE>_…`: the scope as an environment variable name part. */
const SCOPE_PREFIX: Readonly<Record<DefaultsScope, string>> = {
  kafka: 'TRACEBRIDGE_KAFKA_',
  rabbitmq: 'TRACEBRIDGE_RABBITMQ_',
  grpc: 'TRACEBRIDGE_GRPC_',
  redis: 'TRACEBRIDGE_REDIS_',
};

/**
 * The configuration the environment gives one transport's instrumentation. Read when the instrumentation
 * is created, never at import. A value that does not parse is reported once through `diag` and ignored
 * (the default applies): a typo in a deployment's environment must not stop the service.
 *
 * @param name - the instrumentation's name (`tracebridge-kafka`), as `OTEL_NODE_DISABLED_INSTRUMENTATIONS`
 *   may list it (or the bundle's, `tracebridge`).
 */
export function readEnvConfig(
  scope: DefaultsScope,
  name: string,
  env: Env = process.env,
): TracebridgeTransportConfig {
  const config: { -readonly [K in keyof TracebridgeTransportConfig]: TracebridgeTransportConfig[K] } = {};
  if (disabledByOtel(name, env)) config.enabled = false;
  const zeroCode = readBoolean(env, 'TRACEBRIDGE_ZERO_CODE');
  if (zeroCode !== undefined) config.zeroCode = zeroCode;
  const unpatchContrib = readBoolean(env, 'TRACEBRIDGE_UNPATCH_CONTRIB');
  if (unpatchContrib !== undefined) config.unpatchContrib = unpatchContrib;
  const incoming =
    readPolicy(env, `${SCOPE_PREFIX[scope]}INCOMING`) ?? readPolicy(env, 'TRACEBRIDGE_INCOMING');
  if (incoming !== undefined) config.incoming = incoming;
  const semconv = readSemconvStability(env);
  if (semconv !== undefined) config.semconvStability = semconv;
  const endToEndLatency = readBoolean(env, 'TRACEBRIDGE_END_TO_END_LATENCY');
  if (endToEndLatency !== undefined) config.endToEndLatency = endToEndLatency;
  return config;
}

/** `OTEL_NODE_DISABLED_INSTRUMENTATIONS`, as `getNodeAutoInstrumentations` reads it: comma-separated names. */
function disabledByOtel(name: string, env: Env): boolean {
  const names = listOf(env['OTEL_NODE_DISABLED_INSTRUMENTATIONS']);
  return names.includes(name) || names.includes('tracebridge');
}

/**
 * `OTEL_SEMCONV_STABILITY_OPT_IN` is a comma-separated list of namespaces, `messaging` opting in to the
 * stable names and `messaging/dup` to both.
 * @see https://opentelemetry.io/docs/specs/semconv/messaging/messaging-spans/
 */
function readSemconvStability(env: Env): MessagingSemconvStability | undefined {
  const tokens = listOf(env['OTEL_SEMCONV_STABILITY_OPT_IN']);
  if (tokens.includes('messaging/dup')) return 'duplicate';
  if (tokens.includes('messaging')) return 'stable';
  return undefined;
}

function listOf(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
}

function readBoolean(env: Env, variable: string): boolean | undefined {
  const value = env[variable]?.trim().toLowerCase();
  if (value === undefined || value === '') return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return ignored(variable, value, "'true' or 'false'");
}

function readPolicy(env: Env, variable: string): IncomingPolicy | undefined {
  const value = env[variable]?.trim().toLowerCase();
  if (value === undefined || value === '') return undefined;
  if ((POLICIES as readonly string[]).includes(value)) return value as IncomingPolicy;
  return ignored(variable, value, POLICIES.map((p) => `'${p}'`).join(', '));
}

const reported = new Set<string>();

function ignored(variable: string, value: string, expected: string): undefined {
  const key = `${variable}=${value}`;
  if (!reported.has(key)) {
    reported.add(key);
    logger.warn(
      `${variable}=${JSON.stringify(value.slice(0, 40))} is not valid (expected ${expected}); the default applies`,
    );
  }
  return undefined;
}
