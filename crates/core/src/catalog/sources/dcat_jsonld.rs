//! Source: dcat_jsonld (parsing into DatasetRecord).
