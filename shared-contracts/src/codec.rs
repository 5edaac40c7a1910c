//! JSON decoding that validates and says which field was wrong: `nexus-handler`'s,
//! so handlers, callers and workflows decode every payload of the contract the same
//! way.
//!
//! Payloads travel as Temporal's `json/plain` encoding: UTF-8 JSON, nothing
//! Rust-specific, so callers in any language produce and read the same bytes.

pub use nexus_handler::{ContractError, decode_json as decode};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abm::AbmCheckRequest;

    #[test]
    fn names_the_field_and_the_rule() {
        let err = decode::<AbmCheckRequest>(br#"{"accountId":"ACME"}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid AbmCheckRequest: accountId: accountId \"ACME\" is invalid: it contains a \
             character other than a-z, 0-9 and '-'; an account id is 1-64 characters of a-z, \
             0-9 and '-', not starting or ending with '-'"
        );
    }

    #[test]
    fn missing_field_and_garbage() {
        let missing = decode::<AbmCheckRequest>(b"{}").unwrap_err();
        assert_eq!(
            missing.to_string(),
            "invalid AbmCheckRequest: missing field `accountId`"
        );
        let garbage = decode::<AbmCheckRequest>(b"not json").unwrap_err();
        assert!(
            matches!(garbage, ContractError::Malformed { .. }),
            "{garbage}"
        );
        let huge = format!("\"{}\"", "x".repeat(256 * 1024));
        let err = decode::<AbmCheckRequest>(huge.as_bytes()).unwrap_err();
        assert!(
            err.to_string().chars().count() < 400,
            "{} chars",
            err.to_string().len()
        );
        let trailing = decode::<AbmCheckRequest>(br#"{"accountId":"a"} x"#).unwrap_err();
        assert!(
            matches!(trailing, ContractError::Malformed { .. }),
            "{trailing}"
        );
    }
}
