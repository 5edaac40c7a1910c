//! The typed call from a workflow, against the echo handler: each way a call ends
//! arrives as its own `NexusCallError` variant, read from what the server really sends.

use crate::caller::{Case, call_from};
use crate::server::{CALLER, OUTSIDER};
use crate::workflow_run::{REFUSED_TEXT, with_echo_handler};

#[tokio::test]
async fn each_outcome_arrives_as_its_own_variant() {
    with_echo_handler(|server, _client| async move {
        let completed = call_from(&server, CALLER, Case::echo("hello", 0, 30))
            .await
            .seen;
        assert_eq!(completed.variant, "completed", "{completed:?}");
        assert_eq!(completed.detail, "HELLO");

        // The backing workflow failed: the operation's application failure, in its
        // own words.
        let refused = call_from(&server, CALLER, Case::echo(REFUSED_TEXT, 0, 30))
            .await
            .seen;
        assert_eq!(refused.variant, "failed", "{refused:?}");
        assert_eq!(refused.kind.as_deref(), Some("application"));
        assert_eq!(refused.detail, format!("{REFUSED_TEXT:?} is not echoed"));

        // The handler rejected the input before running: a BAD_REQUEST naming the field.
        let rejected = call_from(&server, CALLER, Case::WrongInput).await.seen;
        assert_eq!(rejected.variant, "failed", "{rejected:?}");
        assert_eq!(rejected.kind.as_deref(), Some("handler BAD_REQUEST"));
        assert!(rejected.detail.contains("delay_secs"), "{rejected:?}");

        let misread = call_from(&server, CALLER, Case::WrongOutput).await.seen;
        assert_eq!(misread.variant, "contract_broken", "{misread:?}");
        assert!(misread.detail.contains("shout"), "{misread:?}");

        let late = call_from(&server, CALLER, Case::echo("slow", 600, 2))
            .await
            .seen;
        assert_eq!(late.variant, "timed_out", "{late:?}");

        let canceled = call_from(&server, CALLER, Case::CancelAfterStart)
            .await
            .seen;
        assert_eq!(canceled.variant, "canceled", "{canceled:?}");
        assert!(canceled.operation_token.is_some(), "{canceled:?}");
        server
    })
    .await;
}

#[tokio::test]
async fn a_workflow_outside_the_allowlist_is_refused_and_told_only_why() {
    with_echo_handler(|server, _client| async move {
        let refused = call_from(&server, OUTSIDER, Case::echo("hello", 0, 30)).await;
        let seen = &refused.seen;
        assert_eq!(seen.variant, "failed", "{seen:?}");
        assert_eq!(
            seen.kind.as_deref(),
            Some("handler UNAUTHORIZED"),
            "{seen:?}"
        );
        assert_eq!(
            seen.detail,
            format!("caller namespace {OUTSIDER:?} is not allowed to call test.echo.v1/echoLater")
        );
        assert!(
            !seen.detail.contains(CALLER),
            "no allowlist in a refusal: {seen:?}"
        );
        assert_eq!(
            refused.nexus_events(),
            ["NexusOperationScheduled", "NexusOperationFailed"]
        );
        server
    })
    .await;
}
