/**
 * Cursor pagination (DESIGN.md, "Lists"): newest first, ordered by `(created_at, id)` descending.
 * The cursor is the opaque base64url encoding of the last row's position.
 */
import { and, desc, gte, lt, or, eq, type SQL, type AnyColumn } from 'drizzle-orm';
import { ProblemError } from '../errors/problem.ts';
import { findUnstorableText } from './text.ts';

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
 * @throws ProblemError 400 `invalid_request` (parameter `cursor`) when it was not issued by us
 *   (not base64url JSON, a timestamp outside PostgreSQL's range or not in canonical form, an id
 *   that cannot be stored).
 */
export function decodeCursor(cursor: string): CursorPosition {
  try {
    const raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { t?: unknown; i?: unknown };
    const createdAt = new Date(String(raw.t));
    if (typeof raw.i !== 'string' || typeof raw.t !== 'string' || Number.isNaN(createdAt.getTime())) throw new Error('shape');
    // Only positions this server can have issued: PostgreSQL timestamps (years 1 to 9999) in the
    // canonical form of encodeCursor, and an id it can store.
    const year = createdAt.getUTCFullYear();
    if (year < 1 || year > 9999 || createdAt.toISOString() !== raw.t || raw.i.length > 64 || findUnstorableText(raw.i)) throw new Error('range');
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

/** Earliest and latest instants PostgreSQL timestamps hold in the four-digit years of RFC 3339. */
const MIN_INSTANT = Date.parse('0001-01-01T00:00:00.000Z');
const MAX_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * Reads an RFC 3339 date-time query parameter (already format-checked by the validator) as a
 * `Date` PostgreSQL accepts: a leap second (`23:59:60`) counts as the next second, and instants
 * before year 1 or after year 9999 are clamped, which does not change what a filter selects.
 * @throws ProblemError 400 `invalid_request` naming the parameter when the value is not a date-time.
 */
export function parseInstant(parameter: string, value: string): Date {
  const leap = /^(.*T\d{2}:\d{2}:)60(\.\d+)?(.*)$/.exec(value);
  const parsed = Date.parse(leap ? `${leap[1]}59${leap[2] ?? ''}${leap[3]}` : value) + (leap ? 1000 : 0);
  if (Number.isNaN(parsed)) {
    throw new ProblemError('invalid_request', `Invalid ${parameter}: not an RFC 3339 date-time.`, [{ parameter, detail: 'must be an RFC 3339 date-time' }]);
  }
  return new Date(Math.min(Math.max(parsed, MIN_INSTANT), MAX_INSTANT));
}

/** SQL conditions for the created range and the cursor of a list query. */
export function listConditions(query: ListQuery, columns: { createdAt: AnyColumn; id: AnyColumn }): SQL[] {
  const conditions: SQL[] = [];
  if (query.createdGte) conditions.push(gte(columns.createdAt, parseInstant('createdGte', query.createdGte)));
  if (query.createdLt) conditions.push(lt(columns.createdAt, parseInstant('createdLt', query.createdLt)));
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

/** Smallest, largest and default page size of every list (the contract's `Limit` parameter). */
export const PAGE_LIMIT = { min: 1, max: 100, default: 20 } as const;

/**
 * The page size of a list query: `limit` (default 20) when it is an integer from 1 to 100.
 *
 * The validator has checked the parameter already, but its type coercion turns `1e309`,
 * `Infinity` and `-Infinity` into ±Infinity and then lets them past the integer and range checks
 * (issue #6), so the bound is enforced again here, at the boundary every list goes through.
 * @throws ProblemError 400 `invalid_request` with `errors[].parameter = "limit"` otherwise.
 */
export function pageLimit(query: ListQuery): number {
  const limit: unknown = query.limit ?? PAGE_LIMIT.default;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < PAGE_LIMIT.min || limit > PAGE_LIMIT.max) {
    throw new ProblemError('invalid_request', `Invalid limit: must be an integer from ${PAGE_LIMIT.min} to ${PAGE_LIMIT.max}.`, [
      { parameter: 'limit', detail: `must be an integer from ${PAGE_LIMIT.min} to ${PAGE_LIMIT.max}` },
    ]);
  }
  return limit;
}

/** Page size to fetch: one more than `limit`, to know whether there is a next page. */
export function fetchSize(query: ListQuery): number {
  return pageLimit(query) + 1;
}

/** Cuts the extra row and builds `{ data, hasMore, nextCursor }`. */
export function toPage<Row extends CursorPosition, Out>(rows: Row[], query: ListQuery, map: (row: Row) => Out) {
  const limit = pageLimit(query);
  const hasMore = rows.length > limit;
  const kept = hasMore ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  return { data: kept.map(map), hasMore, nextCursor: hasMore && last ? encodeCursor(last) : null };
}
