/**
 * Mixed fleet, W3C Trace Context (the Java agent's default propagators): tracebridge and the
 * OpenTelemetry Java agent on the two sides of every Kafka, RabbitMQ and gRPC hop, both directions.
 */
import { javaAgentSuite } from '../../helpers/java-agent-suite';

javaAgentSuite('OpenTelemetry Java agent, W3C Trace Context', {
  propagator: 'w3c',
  agent: { propagators: 'tracecontext,baggage' },
});
