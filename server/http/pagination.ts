/**
 * Cursor pagination (DESIGN.md, "Lists"): newest first, ordered by `(created_at, id)` descending.
 * The cursor is the opaque base64url encoding of the last row's position.
 */
import { and, desc, gte, lt, or, eq, type SQL, type AnyColumn } from 'drizzle-orm';
import { ProblemError } from '../errors/problem.ts';

/** A position in a list: the last row returned. */
export interface CursorPosition {
  createdAt: Date;
  id: string;
}

/** Encodes a position as an opaque cursor (base64url JSON). */
export function encodeCursor(pos: CursorPosition): string {
  return Buffer.from(JSON.stringify({ t: pos.createdAt.toISOString(), i: pos.id })).toString('base64url');
}

/**
 * Decodes a cursor from the `cursor` query parameter.
 * @throws ProblemError 400 `invalid_request` (parameter `cursor`) when it was not issued by us.
 */
export function decodeCursor(cursor: string): CursorPosition {
  try {
    const raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { t?: unknown; i?: unknown };
    const createdAt = new Date(String(raw.t));
    if (typeof raw.i !== 'string' || typeof raw.t !== 'string' || Number.isNaN(createdAt.getTime())) throw new Error('shape');
    return { createdAt, id: raw.i };
  } catch {
    throw new ProblemError('invalid_request', 'The cursor is not one returned by this list.', [
      { parameter: 'cursor', detail: 'is not a valid cursor' },
    ]);
  }
}

/** The common list query parameters of the contract. */
export interface ListQuery {
  limit?: number;
  cursor?: string;
  createdGte?: string;
  createdLt?: string;
}

/** SQL conditions for the created range and the cursor of a list query. */
export function listConditions(query: ListQuery, columns: { createdAt: AnyColumn; id: AnyColumn }): SQL[] {
  const conditions: SQL[] = [];
  if (query.createdGte) conditions.push(gte(columns.createdAt, new Date(query.createdGte)));
  if (query.createdLt) conditions.push(lt(columns.createdAt, new Date(query.createdLt)));
  if (query.cursor) {
    const pos = decodeCursor(query.cursor);
    conditions.push(or(lt(columns.createdAt, pos.createdAt), and(eq(columns.createdAt, pos.createdAt), lt(columns.id, pos.id)))!);
  }
  return conditions;
}

/** Ordering of every list: newest first, id as tie-breaker. */
export function listOrder(columns: { createdAt: AnyColumn; id: AnyColumn }): SQL[] {
  return [desc(columns.createdAt), desc(columns.id)];
}

/** Page size to fetch: one more than `limit`, to know whether there is a next page. */
export function fetchSize(query: ListQuery): number {
  return (query.limit ?? 20) + 1;
}

/** Cuts the extra row and builds `{ data, hasMore, nextCursor }`. */
export function toPage<Row extends CursorPosition, Out>(rows: Row[], query: ListQuery, map: (row: Row) => Out) {
  const limit = query.limit ?? 20;
  const hasMore = rows.length > limit;
  const kept = hasMore ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  return { data: kept.map(map), hasMore, nextCursor: hasMore && last ? encodeCursor(last) : null };
}
