// `#[workflow_methods]` adds undocumented marker consts (`RawInputProbe::run`).
#![allow(missing_docs)]

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use devkit::dev_server::DevServer;
use devkit::probe::{ProbeOutcome, ProbeRequest, ProbeRun, unique_suffix};
use serde::{Deserialize, Serialize};
use serde_json::json;
use shared_contracts::names::{endpoints, namespaces};
use shared_contracts::operation::CHECK_ABM_PROGRAM;
use temporalio_client::{
    Client, ClientOptions, WorkflowFetchHistoryOptions, WorkflowGetResultOptions,
    WorkflowStartOptions,
};
use temporalio_common::protos::coresdk::nexus::nexus_operation_result::Status;
use temporalio_common::protos::temporal::api::common::v1::Payload;
use temporalio_common::protos::temporal::api::enums::v1::EventType;
use temporalio_common::protos::temporal::api::failure::v1::Failure;
use temporalio_common::protos::temporal::api::failure::v1::failure::FailureInfo;
use temporalio_common::protos::temporal::api::history::v1::HistoryEvent;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    NexusOperationOptions, Runtime, Worker, WorkerOptions, WorkflowContext, WorkflowResult,
};

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
    assert!(text.contains("NexusHandlerFailure(BAD_REQUEST)"), "{text}");
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
    assert!(text.contains("NexusHandlerFailure(NOT_FOUND)"), "{text}");
    assert!(
        text.contains("no operation marketing.abm.v1/deleteAbmProgram"),
        "{text}"
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
    assert!(text.contains("NexusHandlerFailure(UNAUTHORIZED)"), "{text}");
    assert!(
        text.contains("caller namespace \\\"marketing\\\" is not allowed")
            || text.contains("caller namespace \"marketing\" is not allowed"),
        "{text}"
    );

    stack.stop_worker().await.unwrap();
}

#[tokio::test]
async fn a_database_outage_is_retried_until_the_callers_deadline() {
    let mut stack = MarketingStack::start().await;
    let admin = seed_data::db::connect(&stack.database_url).await.unwrap();
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

/// What a caller may put on the wire, beyond what the JSON probe can send: any bytes,
/// any encoding, or no payload at all.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RawInput {
    /// `None` sends the operation no input payload at all.
    payload: Option<RawPayload>,
}

/// One payload, as raw as the wire allows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RawPayload {
    /// The payload's `encoding` metadata; `None` leaves the metadata empty.
    encoding: Option<String>,
    /// The payload's bytes.
    data: Vec<u8>,
}

impl RawInput {
    fn bytes(encoding: &str, data: &[u8]) -> Self {
        Self {
            payload: Some(RawPayload {
                encoding: Some(encoding.to_owned()),
                data: data.to_vec(),
            }),
        }
    }
}

/// A caller that sends [`RawInput`] to `checkAbmProgram`: a buggy client in another
/// language, or a hostile one, rather than a well-behaved SDK.
#[workflow]
#[derive(Default)]
pub struct RawInputProbe;

#[workflow_methods]
impl RawInputProbe {
    #[run]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        input: RawInput,
    ) -> WorkflowResult<ProbeOutcome> {
        let payload = input.payload.map(|raw| Payload {
            metadata: raw
                .encoding
                .map(|encoding| HashMap::from([("encoding".to_owned(), encoding.into_bytes())]))
                .unwrap_or_default(),
            data: raw.data,
            ..Default::default()
        });
        let mut options = NexusOperationOptions::builder()
            .endpoint(endpoints::MARKETING_ABM.to_owned())
            .service(CHECK_ABM_PROGRAM.service.to_owned())
            .operation(CHECK_ABM_PROGRAM.name.to_owned())
            .schedule_to_close_timeout(Duration::from_secs(60))
            .build();
        options.input = payload;
        let outcome = |name: &str| ProbeOutcome {
            outcome: name.to_owned(),
            output: None,
            operation_token: None,
            failures: Vec::new(),
        };
        let started = match ctx.start_nexus_operation(options).await {
            Ok(started) => started,
            Err(failure) => {
                return Ok(ProbeOutcome {
                    failures: failure_chain(&failure),
                    ..outcome("start_failed")
                });
            }
        };
        Ok(match started.result().await.status {
            Some(Status::Completed(_)) => outcome("completed"),
            Some(Status::Failed(failure)) => ProbeOutcome {
                failures: failure_chain(&failure),
                ..outcome("failed")
            },
            Some(Status::TimedOut(_)) => outcome("timed_out"),
            _ => outcome("other"),
        })
    }
}

/// The failure chain, outermost first, as `kind: message`; a Nexus handler failure's
/// kind carries its retry behaviour too.
fn failure_chain(failure: &Failure) -> Vec<String> {
    std::iter::successors(Some(failure), |failure| failure.cause.as_deref())
        .map(|failure| {
            let kind = match &failure.failure_info {
                Some(FailureInfo::NexusHandlerFailureInfo(info)) => format!(
                    "NexusHandlerFailure({}, {:?})",
                    info.r#type,
                    info.retry_behavior()
                ),
                Some(FailureInfo::NexusOperationExecutionFailureInfo(_)) => {
                    "NexusOperationFailure".to_owned()
                }
                Some(other) => format!("{other:?}").chars().take(40).collect(),
                None => "Failure".to_owned(),
            };
            format!("{kind}: {}", failure.message)
        })
        .collect()
}

/// Runs a [`RawInputProbe`] from namespace `gtm` on a task queue of its own, as
/// `devkit::probe::run_probe` runs the JSON probe.
async fn run_raw_probe(server: &DevServer, input: RawInput) -> anyhow::Result<ProbeRun> {
    let unique = unique_suffix();
    let task_queue = format!("raw-probe-{unique}");
    let workflow_id = format!("raw-probe-{unique}");
    let connection = server.connect("raw-probe").await?;
    let client = Client::new(connection, ClientOptions::new(namespaces::GTM).build())
        .context("creating the probe client")?;
    let runtime = Runtime::from_current_tokio(Default::default()).context("probe runtime")?;
    let options = WorkerOptions::new(task_queue.clone())
        .register_workflow::<RawInputProbe>()
        .context("registering the probe workflow")?
        .build();
    let mut worker = Worker::new(&runtime, client.clone(), options).context("probe worker")?;
    let stop_worker = worker.shutdown_handle();
    let drive = async {
        let result = async {
            let handle = client
                .start_workflow(
                    RawInputProbe::run,
                    input,
                    WorkflowStartOptions::new(task_queue.clone(), workflow_id.clone()).build(),
                )
                .await
                .context("starting the probe")?;
            let outcome = handle
                .get_result(WorkflowGetResultOptions::default())
                .await
                .context("waiting for the probe's outcome")?;
            let history = handle
                .fetch_history(WorkflowFetchHistoryOptions::default())
                .into_events()
                .await
                .context("fetching the probe's history")?;
            anyhow::Ok((outcome, history))
        }
        .await;
        stop_worker();
        result
    };
    let (worker_result, drive_result) = tokio::join!(worker.run(), drive);
    let (outcome, history) = drive_result?;
    worker_result.context("probe worker")?;
    Ok(ProbeRun {
        workflow_id,
        outcome,
        history,
    })
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
        text.contains("NexusHandlerFailure(BAD_REQUEST"),
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
            RawInput {
                payload: Some(RawPayload {
                    encoding: None,
                    data: b"\x0a\x09acme-corp".to_vec(),
                }),
            },
            &["invalid AbmCheckRequest: expected value"],
        ),
        (
            // The server sends the handler `binary/null` for a missing input.
            "no payload at all",
            RawInput { payload: None },
            &["checkAbmProgram takes json/plain input, not", "binary/null"],
        ),
    ];
    let raw_runs = futures::future::join_all(raw_cases.iter().map(|(_, input, _)| {
        let server = &stack.server;
        async move { run_raw_probe(server, input.clone()).await.unwrap() }
    }))
    .await;
    for ((case, _, words), run) in raw_cases.iter().zip(&raw_runs) {
        assert_bad_request(case, run, words);
        // This probe sees the handler error's retry behaviour too: explicitly none.
        let text = run.outcome.failure_text();
        assert!(
            text.contains("NexusHandlerFailure(BAD_REQUEST, NonRetryable)"),
            "{case}: {text}"
        );
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
