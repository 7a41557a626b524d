-- The ward's nurse PIN (a bcrypt hash computed by the caller) unlocks its tablets' staff screens.

ALTER TABLE wards ADD COLUMN nurse_pin_hash bytea;
