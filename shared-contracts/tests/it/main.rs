//! Contract tests: the checked-in schemas match the types, and every payload and the
//! account id hold up against arbitrary, truncated and subtly broken input.

mod properties;
mod schema;
