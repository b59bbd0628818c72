ALTER TABLE tickets DROP COLUMN out_of_office_at;
