//! Incidents and forensics (issue 5): incidents on legal clocks, forensic reports, findings
//! and follow-up actions to verified closure.
