//! Loader tests on both backends: a fresh SQLite file and a fresh PostgreSQL database
//! each.

mod load;
