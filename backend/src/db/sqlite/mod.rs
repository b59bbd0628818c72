//! What only SQLite does.

pub(super) mod search_index;
pub(super) mod writer;
