import type {
  Attributes,
  AttributeValue,
  Exception,
  Link,
  Span,
  SpanContext,
  SpanStatus,
  TimeInput,
} from '@opentelemetry/api';

/** What starts the span behind a {@link DeferredSpan}. */
export interface SpanStarter {
  /** The span: started on the first call, the same one on every later call. */
  startedSpan(): Span;
}

/**
 * An OpenTelemetry span that is started on first use. BullMQ asks for a job's processing context before
 * it says which job it is (the job id comes a moment later, on the span's attributes), and whether the
 * span continues the job's trace or starts its own (a scheduled job's run) depends on that id. The
 * context BullMQ runs the processor in holds this placeholder; the span behind it starts when the id
 * arrives, or when anything reads it first.
 */
export class DeferredSpan implements Span {
  readonly #starter: SpanStarter;

  constructor(starter: SpanStarter) {
    this.#starter = starter;
  }

  #span(): Span {
    return this.#starter.startedSpan();
  }

  spanContext(): SpanContext {
    return this.#span().spanContext();
  }
  setAttribute(key: string, value: AttributeValue): this {
    this.#span().setAttribute(key, value);
    return this;
  }
  setAttributes(attributes: Attributes): this {
    this.#span().setAttributes(attributes);
    return this;
  }
  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    this.#span().addEvent(name, attributesOrTime, time);
    return this;
  }
  addLink(link: Link): this {
    this.#span().addLink(link);
    return this;
  }
  addLinks(links: Link[]): this {
    this.#span().addLinks(links);
    return this;
  }
  setStatus(status: SpanStatus): this {
    this.#span().setStatus(status);
    return this;
  }
  updateName(name: string): this {
    this.#span().updateName(name);
    return this;
  }
  end(endTime?: TimeInput): void {
    this.#span().end(endTime);
  }
  isRecording(): boolean {
    return this.#span().isRecording();
  }
  recordException(exception: Exception, time?: TimeInput): void {
    this.#span().recordException(exception, time);
  }
}
