/**
 * The rows a query returned. TypeORM's query() answers an UPDATE or DELETE
 * with RETURNING as `[rows, count]`, and a SELECT as the rows themselves.
 */
export const returnedRows = <T>(r: unknown): T[] => (Array.isArray(r) && Array.isArray(r[0]) ? (r[0] as T[]) : (r as T[]));
