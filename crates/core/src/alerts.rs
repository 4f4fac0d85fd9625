//! SOC alerts (issue 4): normalised alert model, classification rules as data, grouping into
//! notifications, analysis rollups kept at ingest time, threat-intelligence matching.
