/**
 * Polyfills the local runtime needs on Node 20.
 *
 * aws-local-stepfunctions 3.x calls `Promise.withResolvers` (ES2024, Node 22+).
 * Import this module (for its side effect) before the engine runs anything:
 *
 *   import "./polyfills";
 *
 * `step-functions.ts` imports it itself, so importing that module is enough.
 */

interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

type PromiseWithResolvers = PromiseConstructor & { withResolvers?: <T>() => Resolvers<T> };

const P = Promise as PromiseWithResolvers;

if (typeof P.withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function withResolvers<T>(this: PromiseConstructor): Resolvers<T> {
      let resolve!: Resolvers<T>["resolve"];
      let reject!: Resolvers<T>["reject"];
      // Honour subclasses the way the spec does (`new this(executor)`).
      const promise = new this<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

export {};
