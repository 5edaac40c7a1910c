//! Failures in their own words.

use temporalio_common::protos::temporal::api::failure::v1::Failure;
use temporalio_sdk::ActivityExecutionError;

/// An activity error in the activity's own words (the innermost cause), not the
/// wrapper's "activity task failed".
pub fn activity_message(err: &ActivityExecutionError) -> String {
    err.failure().map_or_else(
        || err.to_string(),
        |failure| innermost(failure).message.clone(),
    )
}

/// The innermost cause of a failure chain.
fn innermost(mut failure: &Failure) -> &Failure {
    while let Some(cause) = failure.cause.as_deref() {
        failure = cause;
    }
    failure
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_innermost_cause_speaks() {
        let chain = Failure {
            message: "activity task failed".into(),
            cause: Some(Box::new(Failure {
                message: "account \"ghost-co\" does not exist".into(),
                ..Default::default()
            })),
            ..Default::default()
        };
        assert_eq!(
            innermost(&chain).message,
            "account \"ghost-co\" does not exist"
        );
    }
}
