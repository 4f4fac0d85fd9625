-- Exchange gateway, provider face (issue 6, points 1, 2, 4 and the message log of point 6).
-- X-Road members and subsystems are mapped to civitas agencies; a subsystem offers REST
-- services (five-part service ids) whose endpoints come from their OpenAPI description; access
-- grants say which client subsystem may call which service or endpoint, and each answers an
-- approved sharing request (the catalogue's grant and the exchange's grant are one approval);
-- the message log keeps one row per call through /r1, refused calls included.

-- A member (subsystem = '') or a subsystem, and the agency it stands for.
CREATE TABLE exchange_members (
    id              INTEGER PRIMARY KEY,
    instance        TEXT    NOT NULL,
    member_class    TEXT    NOT NULL,
    member_code     TEXT    NOT NULL,
    subsystem       TEXT    NOT NULL DEFAULT '',
    agency          TEXT    NOT NULL REFERENCES agencies(code),
    name            TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    UNIQUE (instance, member_class, member_code, subsystem)
);
CREATE INDEX exchange_members_agency ON exchange_members(agency);

CREATE TABLE exchange_services (
    id              INTEGER PRIMARY KEY,
    -- INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE, each segment percent-encoded (the /r1 form).
    service_id      TEXT    NOT NULL UNIQUE,
    -- The owning subsystem.
    member_id       INTEGER NOT NULL REFERENCES exchange_members(id),
    agency          TEXT    NOT NULL REFERENCES agencies(code),
    title           TEXT    NOT NULL,
    -- Where calls go: the provider system's base URL (for a civitas dataset, its data API).
    base_url        TEXT    NOT NULL,
    -- The civitas dataset this service serves, when it is one; grants must then answer a
    -- request for that dataset.
    dataset_id      BIGINT  REFERENCES datasets(id),
    timeout_ms      INTEGER NOT NULL,
    tls_verify      INTEGER NOT NULL,
    -- 'REST' (a base URL alone) or 'OPENAPI3'.
    service_type    TEXT    NOT NULL,
    openapi         TEXT,
    -- Set when disabled: the notice callers receive.
    disabled_notice TEXT,
    created_at      BIGINT  NOT NULL,
    created_by      TEXT    NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX exchange_services_agency ON exchange_services(agency);

-- Endpoints derived from the OpenAPI description ({param} → *).
CREATE TABLE exchange_endpoints (
    service         INTEGER NOT NULL REFERENCES exchange_services(id),
    method          TEXT    NOT NULL,
    path            TEXT    NOT NULL,
    PRIMARY KEY (service, method, path)
);

CREATE TABLE exchange_grants (
    id                  INTEGER PRIMARY KEY,
    service             INTEGER NOT NULL REFERENCES exchange_services(id),
    -- NULL method and path: the whole service.
    endpoint_method     TEXT,
    endpoint_path       TEXT,
    -- The client subsystem allowed (INSTANCE/CLASS/MEMBER/SUBSYSTEM, /r1 form).
    subject             TEXT    NOT NULL,
    -- The approval this grant answers.
    sharing_grant_id    BIGINT  NOT NULL REFERENCES sharing_grants(id),
    request_id          BIGINT  NOT NULL REFERENCES access_requests(id),
    requesting_agency   TEXT    NOT NULL REFERENCES agencies(code),
    purpose             TEXT    NOT NULL,
    legal_basis         TEXT,
    approved_by         TEXT    NOT NULL,
    approved_at         BIGINT  NOT NULL,
    valid_from          BIGINT  NOT NULL,
    valid_until         BIGINT  NOT NULL,
    revoked_at          BIGINT,
    revoked_by          TEXT
);
CREATE INDEX exchange_grants_lookup ON exchange_grants(service, subject);
CREATE INDEX exchange_grants_sharing ON exchange_grants(sharing_grant_id);

-- One row per call through /r1 (and per metaservice call), refused ones included. Written
-- after the call, in one statement: a crash loses at most the calls in flight, never half a row.
CREATE TABLE exchange_messages (
    id              INTEGER PRIMARY KEY,
    xroad_id        TEXT    NOT NULL,
    request_id      TEXT    NOT NULL,
    client          TEXT,
    service         TEXT,
    -- The agency owning the service, when it is known (for scoped reads).
    agency          TEXT,
    endpoint        TEXT,
    method          TEXT    NOT NULL,
    path            TEXT    NOT NULL,
    status          INTEGER NOT NULL,
    request_hash    TEXT,
    response_hash   TEXT,
    started_at      BIGINT  NOT NULL,
    finished_at     BIGINT  NOT NULL,
    duration_us     BIGINT  NOT NULL,
    error_type      TEXT
);
CREATE INDEX exchange_messages_started ON exchange_messages(started_at);
CREATE INDEX exchange_messages_service ON exchange_messages(service, started_at);
CREATE INDEX exchange_messages_client ON exchange_messages(client, started_at);
CREATE INDEX exchange_messages_xroad_id ON exchange_messages(xroad_id);
