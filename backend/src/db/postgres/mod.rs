//! What only PostgreSQL does.

pub(super) mod tickets;
pub(super) mod writer;
