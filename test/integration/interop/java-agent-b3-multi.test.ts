/**
 * Mixed fleet, B3 multi-header (`-Dotel.propagators=b3multi` on the agent): tracebridge and the
 * OpenTelemetry Java agent on the two sides of every Kafka, RabbitMQ and gRPC hop, both directions.
 *
 * This JVM also runs with `-Dotel.semconv-stability.opt-in=messaging` and the W3C one without: the suite
 * asserts the agent's span names in both, which is how the README knows the opt-in changes nothing there.
 */
import { javaAgentSuite } from '../../helpers/java-agent-suite';

javaAgentSuite('OpenTelemetry Java agent, B3 multi-header', {
  propagator: 'b3-multi',
  agent: { propagators: 'b3multi', semconvMessaging: true },
});
