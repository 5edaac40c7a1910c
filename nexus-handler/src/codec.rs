//! JSON decoding that validates and says which field was wrong.
//!
//! Payloads travel as Temporal's `json/plain` encoding: UTF-8 JSON, nothing
//! Rust-specific, so callers in any language produce and read the same bytes. A type's
//! own rules run in its deserialisation (a newtype that refuses a bad id, say); a
//! failure names the field by its path, so a caller learns what to fix.

use serde::de::DeserializeOwned;

/// A payload that does not satisfy the contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    /// The JSON is well-formed but a field is missing or breaks its rule.
    #[error("invalid {type_name}: {field}: {message}")]
    InvalidField {
        /// The payload type being decoded.
        type_name: &'static str,
        /// The path of the offending field (`accountId`, `steps[3].status`, ...).
        field: String,
        /// What was wrong with it.
        message: String,
    },
    /// The bytes are not JSON, or not the right JSON shape at the top level.
    #[error("invalid {type_name}: {message}")]
    Malformed {
        /// The payload type being decoded.
        type_name: &'static str,
        /// The parser's message.
        message: String,
    },
}

/// Decodes `json` into `T`, running every validation `T`'s deserialisation enforces.
pub fn decode_json<T: DeserializeOwned>(json: &[u8]) -> Result<T, ContractError> {
    let type_name = short_type_name::<T>();
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let field = err.path().to_string();
        let message = strip_position(&err.inner().to_string());
        if field == "." {
            ContractError::Malformed { type_name, message }
        } else {
            ContractError::InvalidField {
                type_name,
                field,
                message,
            }
        }
    })?;
    deserializer.end().map_err(|err| ContractError::Malformed {
        type_name,
        message: strip_position(&err.to_string()),
    })?;
    Ok(value)
}

/// The type's name without its module path: `AbmCheckRequest`.
fn short_type_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    let without_generics = full.split('<').next().unwrap_or(full);
    without_generics.rsplit("::").next().unwrap_or(full)
}

/// Longest message a decoding error carries: serde quotes a wrong value whole, and a
/// failure that repeats a 256 KiB payload helps nobody.
const MAX_MESSAGE_CHARS: usize = 300;

/// serde_json appends " at line 1 column 27"; useless to a caller reading one line.
/// The rest is cut to [`MAX_MESSAGE_CHARS`].
fn strip_position(message: &str) -> String {
    let message = match message.rfind(" at line ") {
        Some(index) => &message[..index],
        None => message,
    };
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    /// A payload whose field rejects a value in its own deserialisation.
    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Order {
        #[serde(deserialize_with = "positive")]
        item_count: u32,
    }

    fn positive<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
        let count = u32::deserialize(deserializer)?;
        if count == 0 {
            return Err(serde::de::Error::custom("itemCount must be at least 1"));
        }
        Ok(count)
    }

    #[test]
    fn names_the_field_and_the_rule() {
        let order = decode_json::<Order>(br#"{"itemCount":2}"#).unwrap();
        assert_eq!(order.item_count, 2);
        let err = decode_json::<Order>(br#"{"itemCount":0}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid Order: itemCount: itemCount must be at least 1"
        );
    }

    #[test]
    fn missing_field_garbage_and_huge_values() {
        let missing = decode_json::<Order>(b"{}").unwrap_err();
        assert_eq!(
            missing.to_string(),
            "invalid Order: missing field `itemCount`"
        );
        let garbage = decode_json::<Order>(b"not json").unwrap_err();
        assert!(
            matches!(garbage, ContractError::Malformed { .. }),
            "{garbage}"
        );
        let huge = format!("\"{}\"", "x".repeat(256 * 1024));
        let err = decode_json::<Order>(huge.as_bytes()).unwrap_err();
        assert!(
            err.to_string().chars().count() < 400,
            "{} chars",
            err.to_string().len()
        );
        let trailing = decode_json::<Order>(br#"{"itemCount":1} x"#).unwrap_err();
        assert!(
            matches!(trailing, ContractError::Malformed { .. }),
            "{trailing}"
        );
    }
}
