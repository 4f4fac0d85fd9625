-- The exchange message log's evidence (issue 6, point 6; research notes §3.4): for each logged
-- call, the request and the response as X-Road keeps them — the REST header part
-- (`message.xml`), the body (`attachment1`, unless body logging is off for the subsystem),
-- the XAdES signature (`META-INF/signatures.xml`) and, when the signature covers several
-- parts, its hash chain. Records are batch time-stamped (RFC 3161): a batch stores the token
-- and the `ts-hashchainresult.xml` it stamps, each record its own `ts-hashchain.xml`. An ASiC-E
-- container is assembled from these on request.
CREATE TABLE exchange_timestamps (
    id                 INTEGER PRIMARY KEY,
    tsa_url            TEXT    NOT NULL,
    -- The DER TimeStampToken.
    token              BLOB    NOT NULL,
    -- `ts-hashchainresult.xml`: the token's imprint is its SHA-512.
    hash_chain_result  BLOB    NOT NULL,
    records            INTEGER NOT NULL,
    stamped_at         BIGINT  NOT NULL
);

CREATE TABLE exchange_evidence (
    id                 INTEGER PRIMARY KEY,
    message_id         INTEGER NOT NULL REFERENCES exchange_messages(id),
    side               TEXT    NOT NULL CHECK (side IN ('request', 'response')),
    message            BLOB    NOT NULL,
    body               BLOB,
    -- 1 when the message had a body that was not logged (body logging off); the signature stays.
    body_omitted       INTEGER NOT NULL DEFAULT 0,
    signature          BLOB    NOT NULL,
    sig_hash_chain     BLOB,
    sig_hash_chain_result BLOB,
    -- SHA-512 of `signature`: what batch time-stamping chains.
    signature_hash     BLOB    NOT NULL,
    logged_at          BIGINT  NOT NULL,
    timestamp_id       INTEGER REFERENCES exchange_timestamps(id),
    ts_hash_chain      BLOB,
    UNIQUE (message_id, side),
    CHECK ((timestamp_id IS NULL) = (ts_hash_chain IS NULL)),
    CHECK ((sig_hash_chain IS NULL) = (sig_hash_chain_result IS NULL))
);

-- The time-stamping queue: records not yet stamped, oldest first.
CREATE INDEX exchange_evidence_pending ON exchange_evidence(id) WHERE timestamp_id IS NULL;
