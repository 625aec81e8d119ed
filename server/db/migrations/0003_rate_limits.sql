-- Request counters of the shared rate limiter (rate-limiter-flexible's PostgreSQL store; the
-- columns are the library's). UNLOGGED: counters need no WAL and may be lost in a crash, which
-- only resets the current one-minute windows.
CREATE UNLOGGED TABLE IF NOT EXISTS "rate_limits" (
  "key" varchar(255) PRIMARY KEY,
  "points" integer NOT NULL DEFAULT 0,
  "expire" bigint
);
