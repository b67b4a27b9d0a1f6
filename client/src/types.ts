import type { components, paths } from './generated/openapi.js';

/** Every schema of the service's OpenAPI document, by name (`Schemas['SessionDto']`). */
export type Schemas = components['schemas'];

type Method = 'get' | 'post' | 'delete';
type Op<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : undefined;

/** The JSON body a route takes. */
export type BodyOf<P extends keyof paths, M extends Method> = Op<P, M> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

/** The JSON a route answers with when it succeeds (200, 201 or 202; undefined for 204). */
export type ResultOf<P extends keyof paths, M extends Method> =
  Op<P, M> extends { responses: infer R }
    ? R extends { 200: infer S }
      ? JsonOf<S>
      : R extends { 201: infer S }
        ? JsonOf<S>
        : R extends { 202: infer S }
          ? JsonOf<S>
          : undefined
    : never;

/** The query parameters a route takes. */
export type QueryOf<P extends keyof paths, M extends Method> = Op<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;
