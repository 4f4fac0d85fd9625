//! CLI integration tests: the binary driven as an operator would.
