-- The IP addresses a guest last reported (a JSON array of strings) and when; NULL until
-- they were first learned. The inventory sync never writes these columns.
ALTER TABLE guests ADD COLUMN addresses TEXT;
ALTER TABLE guests ADD COLUMN addresses_at TIMESTAMPTZ;
