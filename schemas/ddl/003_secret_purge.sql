-- tipdash database, migration 3.

-- The fingerprint of the secret that keys person and case ids (an HMAC of a
-- fixed text under the secret: it does not reveal the secret). Ingest
-- compares it with the secret it was given, so that a lost or changed
-- secret stops it instead of adding known people as new ones.
CREATE TABLE secret_fingerprint (
    fingerprint VARCHAR NOT NULL,
    set_at      TIMESTAMP NOT NULL
);

-- A rolled-back batch can be purged: its quarantine and report are deleted
-- for good, and this records when.
ALTER TABLE batches ADD COLUMN purged_at TIMESTAMP;
