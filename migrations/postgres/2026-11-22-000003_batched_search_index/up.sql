-- Nothing to change: PostgreSQL's GIN index buffers new entries (fastupdate) on its own. SQLite moves its
-- full-text indexing out of the per-text write path in this migration.
SELECT 1;
