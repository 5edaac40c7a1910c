//! Reading settings from the environment: a default when unset (or empty), and an
//! error that names the variable when a value does not parse.

use std::str::FromStr;

use anyhow::Context;

/// The variable's value, or `default` when it is unset or empty.
pub fn var_or(name: &str, default: &str) -> String {
    var_opt(name).unwrap_or_else(|| default.to_owned())
}

/// The variable's value, or `None` when it is unset or empty.
pub fn var_opt(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// The variable parsed as `T`, or `default` when unset; `expected` says what a valid
/// value looks like, for the error.
pub fn parse_or<T>(name: &str, default: T, expected: &str) -> anyhow::Result<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    match var_opt(name) {
        None => Ok(default),
        Some(value) => value
            .parse()
            .with_context(|| format!("{name}={value:?} is not {expected}")),
    }
}

/// A boolean variable (`true`/`false`, `1`/`0`, `yes`/`no`), `default` when unset.
pub fn bool_or(name: &str, default: bool) -> anyhow::Result<bool> {
    match var_or(name, if default { "true" } else { "false" })
        .to_ascii_lowercase()
        .as_str()
    {
        "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        other => anyhow::bail!("{name}={other:?} is not a boolean (true/false)"),
    }
}

/// A comma-separated list (`gtm, marketing`), `default` when unset; blanks dropped.
pub fn list_or(name: &str, default: &str) -> Vec<String> {
    split_list(&var_or(name, default))
}

/// A comma-separated list split into its items; blanks dropped.
pub fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Every set, non-empty variable whose name starts with `prefix`: (the rest of the
/// name, the value), sorted by name.
pub fn with_prefix(prefix: &str) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = std::env::vars()
        .filter(|(_, value)| !value.is_empty())
        .filter_map(|(name, value)| Some((name.strip_prefix(prefix)?.to_owned(), value)))
        .filter(|(rest, _)| !rest.is_empty())
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_drop_blanks_and_spaces() {
        assert_eq!(split_list(" gtm, ,marketing ,"), ["gtm", "marketing"]);
        assert!(split_list("").is_empty());
    }

    #[test]
    fn unset_variables_take_the_default() {
        let name = "SERVICE_KIT_TEST_SURELY_UNSET";
        assert_eq!(var_or(name, "x"), "x");
        assert_eq!(parse_or::<u32>(name, 7, "a number").unwrap(), 7);
        assert!(bool_or(name, true).unwrap());
        assert_eq!(list_or(name, "a,b"), ["a", "b"]);
    }
}
