//! End-to-end tests of the whole system live in `tests/it/`: both workers, their
//! databases and a real Temporal dev server, wired as `cargo xtask up` wires them.
//! Workers never depend on each other; only these tests see both.
