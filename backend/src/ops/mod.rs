//! Operator commands that work on a whole database beside (or instead of) a running server:
//! `smsdesk backup` ([`backup`]) and `smsdesk copy` ([`copy`]).

pub mod backup;
pub mod copy;
