//! Source: datagovtw (parsing into DatasetRecord).
