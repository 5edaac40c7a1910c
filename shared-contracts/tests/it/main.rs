//! Contract tests: the checked-in schemas match the types, and the seed's JSON
//! round-trips through the types byte for byte.

mod schema;
