use devkit::probe::{ProbeRequest, ProbeRun, RawInput, run_probe};
use serde_json::json;
use shared_contracts::names::{endpoints, namespaces};
use shared_contracts::operation::CHECK_ABM_PROGRAM;
use temporalio_common::protos::temporal::api::enums::v1::EventType;
use temporalio_common::protos::temporal::api::history::v1::HistoryEvent;

use crate::harness::MarketingStack;

/// SPEC's example, byte for byte, as the caller receives it.
const ACME: &str = r#"{"accountId":"acme-corp","inABMProgram":true,"programName":"Enterprise Expansion Q1","status":"active","touchesRemaining":3}"#;

#[tokio::test]
async fn answers_for_active_paused_completed_and_unknown_accounts() {
    let mut stack = MarketingStack::start().await;

    let acme = stack.check(json!({"accountId": "acme-corp"})).await;
    assert_eq!(acme.outcome.outcome, "completed", "{:?}", acme.outcome);
    let output = acme.outcome.output.clone().unwrap();
    assert_eq!(serde_json::to_string(&output).unwrap(), ACME);
    // Proof that this went through Nexus, not an activity: the caller's history.
    assert_eq!(
        acme.nexus_events(),
        ["NexusOperationScheduled", "NexusOperationCompleted"]
    );
    assert!(
        acme.outcome.operation_token.is_none(),
        "sync operations have no token"
    );

    let paused = stack.check(json!({"accountId": "umbrella-health"})).await;
    assert_eq!(
        paused.outcome.output.unwrap(),
        json!({"accountId": "umbrella-health", "inABMProgram": false,
               "programName": "Healthcare Vertical Push", "status": "paused", "touchesRemaining": 4})
    );

    let completed = stack.check(json!({"accountId": "gringotts-bank"})).await;
    assert_eq!(
        completed.outcome.output.unwrap(),
        json!({"accountId": "gringotts-bank", "inABMProgram": false,
               "programName": "FinServ Renewal Defense", "status": "completed", "touchesRemaining": 0})
    );

    // initech is in a completed and an active program: the active one answers.
    let both = stack.check(json!({"accountId": "initech"})).await;
    let both = both.outcome.output.unwrap();
    assert_eq!(both["status"], "active");
    assert_eq!(both["programName"], "Mid-Market Acceleration");

    let unknown = stack.check(json!({"accountId": "never-heard-of-us"})).await;
    assert_eq!(
        unknown.outcome.output.unwrap(),
        json!({"accountId": "never-heard-of-us", "inABMProgram": false,
               "programName": null, "status": "none", "touchesRemaining": 0})
    );

    stack.stop_worker().await.unwrap();
}

#[tokio::test]
async fn bad_input_unknown_operations_and_foreign_callers_fail_at_once() {
    let mut stack = MarketingStack::start().await;

    let malformed = stack.check(json!({"accountId": "Acme Corp!"})).await;
    assert_eq!(
        malformed.outcome.outcome, "start_failed",
        "{:?}",
        malformed.outcome
    );
    let text = malformed.outcome.failure_text();
    assert!(text.contains("NexusHandlerFailure(BAD_REQUEST,"), "{text}");
    assert!(
        text.contains("accountId \\\"Acme Corp!\\\" is invalid")
            || text.contains("accountId \"Acme Corp!\" is invalid"),
        "{text}"
    );
    assert!(
        text.contains("1-64 characters of a-z, 0-9 and '-'"),
        "{text}"
    );
    assert_eq!(
        malformed.nexus_events(),
        ["NexusOperationScheduled", "NexusOperationFailed"]
    );

    let missing = stack.check(json!({"account": "acme-corp"})).await;
    assert!(
        missing
            .outcome
            .failure_text()
            .contains("missing field `accountId`"),
        "{:?}",
        missing.outcome
    );

    let unknown_operation = stack
        .call(
            namespaces::GTM,
            ProbeRequest::new(
                endpoints::MARKETING_ABM,
                CHECK_ABM_PROGRAM.service,
                "deleteAbmProgram",
                json!({"accountId": "acme-corp"}),
            ),
        )
        .await;
    let text = unknown_operation.outcome.failure_text();
    assert_eq!(unknown_operation.outcome.outcome, "start_failed");
    assert!(text.contains("NexusHandlerFailure(NOT_FOUND,"), "{text}");
    assert!(
        text.contains("no operation marketing.abm.v1/deleteAbmProgram"),
        "{text}"
    );
    assert!(
        !text.contains("checkAbmProgram"),
        "\"not found\" does not list what is served: {text}"
    );

    // The endpoint is reachable from any namespace; the handler admits gtm only.
    let foreign = stack
        .check_from(namespaces::MARKETING, json!({"accountId": "acme-corp"}))
        .await;
    let text = foreign.outcome.failure_text();
    assert_eq!(
        foreign.outcome.outcome, "start_failed",
        "{:?}",
        foreign.outcome
    );
    assert!(text.contains("NexusHandlerFailure(UNAUTHORIZED,"), "{text}");
    assert!(
        text.contains("caller namespace \\\"marketing\\\" is not allowed")
            || text.contains("caller namespace \"marketing\" is not allowed"),
        "{text}"
    );
    assert!(
        !text.contains("customer-success"),
        "a refusal does not list the allowlist: {text}"
    );

    stack.stop_worker().await.unwrap();
}

#[tokio::test]
async fn a_database_outage_is_retried_until_the_callers_deadline() {
    let mut stack = MarketingStack::start().await;
    let admin = service_kit::db::connect(&stack.database_url).await.unwrap();
    sqlx::query("ALTER TABLE program_enrolments RENAME TO program_enrolments_offline")
        .execute(&admin)
        .await
        .unwrap();

    let mut request = ProbeRequest::new(
        endpoints::MARKETING_ABM,
        CHECK_ABM_PROGRAM.service,
        CHECK_ABM_PROGRAM.name,
        json!({"accountId": "acme-corp"}),
    );
    request.timeout_secs = 4;
    let outage = stack.call(namespaces::GTM, request).await;
    // A sync operation that never answers times out before it ever "starts".
    assert_eq!(
        outage.outcome.outcome, "start_failed",
        "{:?}",
        outage.outcome
    );
    assert!(
        outage
            .outcome
            .failure_text()
            .contains("TimeoutFailure: operation timed out"),
        "{:?}",
        outage.outcome
    );
    // Retryable: the server kept retrying until the deadline (a non-retryable error
    // would have been NexusOperationFailed at the first attempt).
    assert_eq!(
        outage.nexus_events(),
        ["NexusOperationScheduled", "NexusOperationTimedOut"]
    );

    // Once the database is back, the same question gets the right answer.
    sqlx::query("ALTER TABLE program_enrolments_offline RENAME TO program_enrolments")
        .execute(&admin)
        .await
        .unwrap();
    let recovered = stack.check(json!({"accountId": "acme-corp"})).await;
    assert_eq!(
        recovered.outcome.outcome, "completed",
        "{:?}",
        recovered.outcome
    );
    stack.stop_worker().await.unwrap();
}

/// Seconds from the operation's scheduling to its end, from the caller's history.
fn seconds_to_outcome(history: &[HistoryEvent]) -> f64 {
    let time = |wanted: fn(EventType) -> bool| {
        history
            .iter()
            .find(|event| wanted(event.event_type()))
            .and_then(|event| event.event_time.as_ref())
            .map(|t| t.seconds as f64 + f64::from(t.nanos) / 1e9)
            .expect("the event is in the history")
    };
    time(|t| {
        matches!(
            t,
            EventType::NexusOperationFailed
                | EventType::NexusOperationCompleted
                | EventType::NexusOperationTimedOut
        )
    }) - time(|t| t == EventType::NexusOperationScheduled)
}

/// Checks that `run` ended as a caller should see bad input: at once (no retries until
/// the deadline), as a non-retryable `BAD_REQUEST` whose message contains `words`, with
/// invisible characters escaped.
fn assert_bad_request(case: &str, run: &ProbeRun, words: &[&str]) {
    assert_eq!(
        run.outcome.outcome, "start_failed",
        "{case}: {:?}",
        run.outcome
    );
    assert_eq!(
        run.nexus_events(),
        ["NexusOperationScheduled", "NexusOperationFailed"],
        "{case}: a retried error would have timed out instead"
    );
    let text = run.outcome.failure_text();
    assert!(
        text.contains("NexusHandlerFailure(BAD_REQUEST, NonRetryable)"),
        "{case}: {text}"
    );
    // The probes' deadline is 30 s or more: an answer within a few seconds is the first.
    let seconds = seconds_to_outcome(&run.history);
    assert!(seconds < 10.0, "{case}: took {seconds} s: {text}");
    for word in words {
        assert!(text.contains(word), "{case}: {word:?} not in {text}");
    }
    assert!(
        !text.contains(['\u{0}', '\u{200d}', '\u{202e}', '\u{feff}']),
        "{case}: {text:?}"
    );
    assert!(
        text.len() < 2_000,
        "{case}: {} bytes of message",
        text.len()
    );
}

#[tokio::test]
async fn malformed_payloads_are_bad_requests_and_the_worker_keeps_serving() {
    let mut stack = MarketingStack::start().await;

    // Bytes no SDK's JSON converter would produce, but any client could send.
    let raw_cases: Vec<(&str, RawInput, &[&str])> = vec![
        (
            "non-JSON bytes",
            RawInput::bytes("json/plain", b"\xff\xfe not json \x00"),
            &["invalid AbmCheckRequest: expected value"],
        ),
        (
            "truncated JSON",
            RawInput::bytes("json/plain", br#"{"accountId": "acme-co"#),
            &["invalid AbmCheckRequest: accountId: EOF while parsing a string"],
        ),
        (
            "trailing garbage",
            RawInput::bytes("json/plain", br#"{"accountId": "acme-corp"} <script>"#),
            &["invalid AbmCheckRequest: trailing characters"],
        ),
        (
            "an empty JSON payload",
            RawInput::bytes("json/plain", b""),
            &["invalid AbmCheckRequest: EOF while parsing a value"],
        ),
        (
            "binary/null, an SDK's encoding of no value",
            RawInput::bytes("binary/null", b""),
            &["checkAbmProgram takes json/plain input, not", "binary/null"],
        ),
        (
            "protobuf instead of JSON",
            RawInput::bytes("json/protobuf", br#"{"accountId": "acme-corp"}"#),
            &[
                "checkAbmProgram takes json/plain input, not",
                "json/protobuf",
            ],
        ),
        (
            "bytes without metadata",
            RawInput::without_metadata(b"\x0a\x09acme-corp"),
            &["invalid AbmCheckRequest: expected value"],
        ),
        (
            // The server sends the handler `binary/null` for a missing input.
            "no payload at all",
            RawInput::nothing(),
            &["checkAbmProgram takes json/plain input, not", "binary/null"],
        ),
    ];
    let raw_runs = futures::future::join_all(raw_cases.iter().map(|(_, input, _)| {
        let request = ProbeRequest::new(
            endpoints::MARKETING_ABM,
            CHECK_ABM_PROGRAM.service,
            CHECK_ABM_PROGRAM.name,
            json!(null),
        )
        .with_raw_input(input.clone());
        run_probe(&stack.server, namespaces::GTM, request)
    }))
    .await;
    let raw_runs: Vec<ProbeRun> = raw_runs.into_iter().map(Result::unwrap).collect();
    for ((case, _, words), run) in raw_cases.iter().zip(&raw_runs) {
        assert_bad_request(case, run, words);
    }

    // Well-formed JSON of the wrong shape, disguised account ids, and a very large one.
    let huge = "a".repeat(256 * 1024);
    let json_cases: Vec<(&str, serde_json::Value, &[&str])> = vec![
        ("an empty array", json!([]), &["invalid length 0"]),
        (
            "a bare string",
            json!("acme-corp"),
            &["invalid type: string"],
        ),
        ("null", json!(null), &["invalid type: null"]),
        ("a number", json!(42), &["invalid type: integer"]),
        (
            "a numeric id",
            json!({"accountId": 42}),
            &["accountId: invalid type: integer"],
        ),
        (
            "a nested id",
            json!({"accountId": {"id": "acme-corp"}}),
            &["accountId: invalid type: map"],
        ),
        ("an empty object", json!({}), &["missing field `accountId`"]),
        (
            "a homoglyph",
            json!({"accountId": "\u{0430}cme-corp"}),
            &[
                "accountId: accountId \"\u{0430}cme-corp\" is invalid",
                "a-z, 0-9",
            ],
        ),
        (
            "a zero-width joiner",
            json!({"accountId": "acme\u{200d}-corp"}),
            &["is invalid", "\\u{200d}"],
        ),
        (
            "a right-to-left override",
            json!({"accountId": "\u{202e}acme-corp"}),
            &["is invalid", "\\u{202e}"],
        ),
        (
            "a NUL",
            json!({"accountId": "acme\u{0}corp"}),
            &["is invalid", "\\0"],
        ),
        (
            "a byte-order mark",
            json!({"accountId": "\u{feff}acme-corp"}),
            &["is invalid", "\\u{feff}"],
        ),
        (
            "a 256 KiB id",
            json!({"accountId": huge}),
            &["it is longer than 64 characters"],
        ),
    ];
    let json_runs = futures::future::join_all(
        json_cases
            .iter()
            .map(|(_, input, _)| stack.check(input.clone())),
    )
    .await;
    for ((case, _, words), run) in json_cases.iter().zip(&json_runs) {
        assert_bad_request(case, run, words);
    }

    // None of that hurt the worker: the next good request is answered as usual.
    let acme = stack.check(json!({"accountId": "acme-corp"})).await;
    assert_eq!(acme.outcome.outcome, "completed", "{:?}", acme.outcome);
    assert_eq!(
        serde_json::to_string(&acme.outcome.output.unwrap()).unwrap(),
        ACME
    );
    stack.stop_worker().await.unwrap();
}
