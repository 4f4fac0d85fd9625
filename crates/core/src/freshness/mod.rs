//! Overdue-update detection, 資料逾期更新檢測 (issue 3): declared update frequency against
//! evidence of real updates, with due-soon, overdue and delinquent states. Pure functions
//! of (frequency, evidence, clock).
