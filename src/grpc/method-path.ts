/** A gRPC method path (`/package.Service/Method`) split into the RPC conventions' service and method. */
export interface MethodName {
  /** `rpc.service`: the fully qualified service name, e.g. `shop.v1.Orders`. */
  readonly service: string;
  /** `rpc.method`: e.g. `PlaceOrder`. */
  readonly method: string;
  /** The span name the conventions give: `{service}/{method}`. */
  readonly spanName: string;
}

/**
 * Splits `/package.Service/Method`. A path that is not of that shape (a custom channel could send anything)
 * keeps its text as the service and `unknown` as the method, rather than throwing.
 */
export function parseMethodPath(path: string): MethodName {
  const trimmed = path.startsWith('/') ? path.slice(1) : path;
  const slash = trimmed.lastIndexOf('/');
  if (slash <= 0 || slash === trimmed.length - 1) {
    const service = trimmed.length > 0 ? trimmed : 'unknown';
    return { service, method: 'unknown', spanName: `${service}/unknown` };
  }
  const service = trimmed.slice(0, slash);
  const method = trimmed.slice(slash + 1);
  return { service, method, spanName: `${service}/${method}` };
}
