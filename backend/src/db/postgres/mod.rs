//! What only PostgreSQL does.

pub(super) mod writer;
