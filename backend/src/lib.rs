//! smsdesk: an SMS help desk. Texts that customers send to the company's number become tickets that
//! agents answer by SMS.

pub mod accounts;
pub mod api;
pub mod app_settings;
pub mod canned;
pub mod config;
pub mod contacts;
pub mod db;
pub mod delivery;
pub mod domain;
pub mod error;
pub mod export;
pub mod frontend;
pub mod gateways;
pub mod inboxes;
pub mod json;
pub mod metrics;
pub mod middleware;
pub mod numbers;
pub mod ops;
pub mod reports;
pub mod startup;
pub mod state;
pub mod tags;
pub mod telemetry;
pub mod tickets;
pub mod webhooks;
