export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __paliadinDb?: { stop(): Promise<void> } }).__paliadinDb?.stop();
}
