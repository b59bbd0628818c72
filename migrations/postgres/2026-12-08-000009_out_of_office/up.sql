-- When the ticket last got the automatic out-of-office reply: at most one per closed period
-- (tickets/ingest.rs), so a customer texting through the night is answered once, not once per text.
ALTER TABLE tickets ADD COLUMN out_of_office_at TIMESTAMP;
