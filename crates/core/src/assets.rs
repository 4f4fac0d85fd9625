//! Assets and vulnerabilities: systems, components, warranties, end of life, vulnerability
//! matching and remediation deadlines.
