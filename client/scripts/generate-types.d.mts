/** The generated files' text for an OpenAPI document, by path under client/. */
export function generate(doc: unknown): Promise<Record<string, string>>;
