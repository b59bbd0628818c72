//! What only PostgreSQL does.

pub(super) mod append_batch;
pub(super) mod tickets;
pub(super) mod writer;
