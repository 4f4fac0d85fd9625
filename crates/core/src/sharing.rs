//! Cross-department sharing (issue 3): requests, approvals, grants with expiry and counted
//! access. An approved sharing grant is the same approval the exchange gateway enforces.
