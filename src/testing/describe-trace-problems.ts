import type { TraceSpan } from '../cli/trace-span';
import { buildTraceTrees, servicesOf, traceRows } from '../cli/trace-tree';
import type { TraceTree } from '../cli/trace-tree';
import { toTraceSpan } from './finished-span';
import type { FinishedSpan } from './finished-span';
import { checkExpectations } from './trace-expectations';
import type { ConnectedTraceExpectations, ExpectedSpanKind } from './trace-expectations';

/**
 * Everything that keeps `spans` from being one connected trace that meets `expectations`, as sentences
 * for a person to read; an empty array when there is nothing wrong. Pure: it only reads the spans.
 *
 * Always checked: there are spans; they share one trace id (or, with `traceId`, some are of that trace);
 * every span's parent is among them; the trace has one root; no CONSUMER span is an orphan (its parent
 * missing, or a root without links: its message arrived without trace context). A CONSUMER root that
 * links to messages is a batch span and is fine. Then, as asked: services, span kinds, no errors.
 *
 * Where several traces are named, they are listed in one fixed order, the waterfall's (`compareTraces`
 * in the CLI's trace tree): by start time; on a tie, the trace that entered through a request first, then
 * the larger one, then the lower trace id. So the same spans always give the same sentences.
 *
 * @throws TracebridgeConfigError (`TRACEBRIDGE_INVALID_OPTION`) when `expectations` is malformed or an
 * element of `spans` is not a finished span.
 */
export function describeTraceProblems(
  spans: readonly FinishedSpan[],
  expectations: ConnectedTraceExpectations = {},
): string[] {
  const minimumKinds = checkExpectations('describeTraceProblems', expectations);
  const all = spans.map(toTraceSpan);
  const { traceId } = expectations;
  const checked = traceId === undefined ? all : all.filter((span) => span.traceId === traceId);
  if (all.length === 0) return ['no spans were given (were they ended, and exported before the check?)'];
  if (checked.length === 0) {
    return [
      `no span belongs to trace ${traceId}; the spans given belong to ${summarize(buildTraceTrees(all))}`,
    ];
  }
  const trees = buildTraceTrees(checked);
  return [
    ...(trees.length > 1 ? [`the spans belong to ${trees.length} traces, not one: ${summarize(trees)}`] : []),
    ...trees.flatMap(connectionProblems),
    ...missingServices(trees, expectations.services ?? []),
    ...missingKinds(checked, minimumKinds),
    ...(expectations.noErrors === true ? errorSpans(checked) : []),
  ];
}

function connectionProblems(tree: TraceTree): string[] {
  const problems: string[] = [];
  const roots = tree.roots.filter((node) => !node.orphan);
  for (const node of tree.roots) {
    const { span } = node;
    if (node.orphan && span.kind === 'CONSUMER') {
      problems.push(
        `orphan CONSUMER span ${describe(span)}: its parent ${span.parentSpanId} is not among the spans`,
      );
    } else if (node.orphan) {
      problems.push(
        `span ${describe(span)} has parent ${span.parentSpanId}, which is not among the spans ` +
          '(not ended yet, not exported, or lost)',
      );
    } else if (span.kind === 'CONSUMER' && span.links.length === 0) {
      problems.push(
        `orphan CONSUMER span ${describe(span)} starts a trace of its own: ` +
          'its message reached the consumer without trace context',
      );
    }
  }
  if (roots.length > 1) {
    problems.push(
      `trace ${tree.traceId} has ${roots.length} root spans, not one: ${roots.map((n) => describe(n.span)).join(', ')}`,
    );
  }
  return problems;
}

function missingServices(trees: readonly TraceTree[], services: readonly string[]): string[] {
  // In tree order, as the waterfall lists them: the order the request flowed.
  const present = new Set(trees.flatMap((tree) => servicesOf(traceRows(tree))));
  const listed = present.size === 0 ? 'none has a service.name' : `present: ${[...present].join(', ')}`;
  return services
    .filter((service) => !present.has(service))
    .map((service) => `no span from service ${JSON.stringify(service)} (${listed})`);
}

function missingKinds(spans: readonly TraceSpan[], minimum: ReadonlyMap<ExpectedSpanKind, number>): string[] {
  const problems: string[] = [];
  for (const [kind, count] of minimum) {
    const found = spans.filter((span) => span.kind === kind);
    if (found.length >= count) continue;
    const names = found.length === 0 ? '' : ` (${found.map((span) => JSON.stringify(span.name)).join(', ')})`;
    problems.push(
      `expected at least ${count} ${kind} ${count === 1 ? 'span' : 'spans'}, found ${found.length}${names}`,
    );
  }
  return problems;
}

function errorSpans(spans: readonly TraceSpan[]): string[] {
  return spans
    .filter((span) => span.status === 'ERROR')
    .map(
      (span) =>
        `span ${describe(span)} has status ERROR${span.statusMessage === undefined ? '' : `: ${span.statusMessage}`}`,
    );
}

function summarize(trees: readonly TraceTree[]): string {
  return trees
    .map((tree) => {
      const first = tree.roots[0]?.span;
      return `${tree.traceId} (${tree.spanCount} ${tree.spanCount === 1 ? 'span' : 'spans'}${first === undefined ? '' : `, first ${JSON.stringify(first.name)}`})`;
    })
    .join('; ');
}

/** `"process orders" (CONSUMER, service billing, span 53995c3f42cd8ad8)`. */
function describe(span: TraceSpan): string {
  const service = span.serviceName === undefined ? 'no service.name' : `service ${span.serviceName}`;
  return `${JSON.stringify(span.name)} (${span.kind}, ${service}, span ${span.spanId})`;
}
