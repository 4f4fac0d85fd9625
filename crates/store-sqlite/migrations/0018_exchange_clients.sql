-- Exchange gateway: how a caller of /r1 proves which subsystem it is (issue 6, points 3 and 5).
-- A credential is bound to one registered subsystem: either a client certificate (presented
-- on the exchange TLS listener and verified against its CA) or a bearer token (presented in
-- X-Civitas-Exchange-Token on the plain listener). Only the SHA-256 of the certificate's DER
-- or of the token is kept; the token itself is shown once, when it is issued.
CREATE TABLE exchange_credentials (
    id              INTEGER PRIMARY KEY,
    member_id       INTEGER NOT NULL REFERENCES exchange_members(id),
    -- 'certificate' or 'token'.
    kind            TEXT    NOT NULL CHECK (kind IN ('certificate', 'token')),
    -- Lower-case hex SHA-256 of the certificate (DER) or of the token.
    fingerprint     TEXT    NOT NULL,
    -- For a certificate: its subject and end of validity.
    subject         TEXT,
    not_after       BIGINT,
    -- What the steward calls it (the system that holds it).
    label           TEXT    NOT NULL,
    issued_by       TEXT    NOT NULL,
    issued_at       BIGINT  NOT NULL,
    revoked_at      BIGINT,
    revoked_by      TEXT
);
-- A certificate or token is bound to one subsystem at a time.
CREATE UNIQUE INDEX exchange_credentials_active
    ON exchange_credentials(fingerprint) WHERE revoked_at IS NULL;
CREATE INDEX exchange_credentials_fingerprint ON exchange_credentials(fingerprint);
CREATE INDEX exchange_credentials_member ON exchange_credentials(member_id);
