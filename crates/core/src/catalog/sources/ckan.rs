//! Source: ckan (parsing into DatasetRecord).
