/**
 * `define`, made at most once per grpc-js copy's class: the traced call classes extend a class of the
 * grpc-js copy the application loaded (there may be several), and every interceptor over one copy shares
 * one subclass, so grpc-js's call sites see one shape however many clients and servers an application makes.
 * Held weakly: a copy that is unloaded takes its subclass with it.
 */
export function classPerCopy<Base extends object, Made>(define: (base: Base) => Made): (base: Base) => Made {
  const made = new WeakMap<Base, Made>();
  return (base) => {
    let subclass = made.get(base);
    if (subclass === undefined) {
      subclass = define(base);
      made.set(base, subclass);
    }
    return subclass;
  };
}
