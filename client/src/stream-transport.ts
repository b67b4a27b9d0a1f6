/** What an error and a `Retry-After` are read from: a fetch Response is one. */
export interface Answer {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  /** The body read whole. */
  text(): Promise<string>;
}

/** An event stream's answer, its body read piece by piece as it arrives. */
export interface OpenedStream extends Answer {
  /** The next piece of the body's text; done at a clean close; rejects when the connection drops. */
  read(): Promise<IteratorResult<string, undefined>>;
  /** Lets the connection go, read or not. */
  cancel(): void;
}

/** Swallows a promise's outcome (a cancel whose failure changes nothing). */
export const settle = () => undefined;

/** An event stream through fetch: what browsers and a caller's own fetch have. */
export async function fetchStream(fetcher: typeof fetch, url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<OpenedStream> {
  // cancel() aborts the request: cancelling only the body's reader can leave the connection open for seconds.
  const own = new AbortController();
  const stop = () => own.abort();
  if (signal?.aborted) stop();
  signal?.addEventListener('abort', stop, { once: true });
  let res: Response;
  try {
    res = await fetcher(url, { headers, signal: own.signal });
  } catch (e) {
    signal?.removeEventListener('abort', stop);
    throw e;
  }
  let reader: ReadableStreamDefaultReader<string> | undefined;
  return {
    status: res.status,
    headers: res.headers,
    text: () => res.text(),
    read: async () => {
      reader ??= res.body?.pipeThrough(new TextDecoderStream()).getReader();
      if (!reader) return { done: true, value: undefined };
      const r = await reader.read();
      return r.done ? { done: true, value: undefined } : r;
    },
    cancel: () => {
      signal?.removeEventListener('abort', stop);
      stop();
      void (reader ? reader.cancel() : res.body?.cancel())?.catch(settle);
    },
  };
}

type Requester = typeof import('node:http').request;
let requesters: Promise<{ http: Requester; https: Requester }> | undefined;

/**
 * An event stream through node:http, in Node when the caller gave no fetch
 * of their own. Why not fetch there too: its body is a web stream, and with
 * a replay of thousands of events arriving at once, reading it cost the
 * client about twice the CPU per event of a node:http reader (the gateway
 * reads its upstreams with node:http for the same reason). Loaded when first
 * needed, so that a browser build never asks for it.
 */
export async function nodeStream(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<OpenedStream> {
  requesters ??= Promise.all([import('node:http'), import('node:https')]).then(([h, s]) => ({ http: h.request, https: s.request }));
  const { http, https } = await requesters;
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https:') ? https : http)(url, { headers, signal }, (res) => {
      res.setEncoding('utf8');
      let pieces: AsyncIterator<string> | undefined;
      resolve({
        status: res.statusCode ?? 0,
        headers: {
          get: (name) => {
            const v = res.headers[name.toLowerCase()];
            return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
          },
        },
        text: async () => {
          let s = '';
          for await (const piece of res) s += piece as string;
          return s;
        },
        // A drop (a reset, a close before the last chunk, the signal) rejects: the stream is destroyed with an error.
        read: () => (pieces ??= res[Symbol.asyncIterator]() as AsyncIterator<string>).next() as Promise<IteratorResult<string, undefined>>,
        cancel: () => void res.destroy(),
      });
    });
    // Kept for the request's life: a later error of an answered request must not go unheard (Node would throw it).
    req.on('error', reject);
    req.end();
  });
}
