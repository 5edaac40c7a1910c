//! Interop: a workflow written with Temporal's Python SDK calls the three teams' Nexus
//! services, by endpoint, service and operation name with JSON input, and gets the same
//! answers as the Rust caller: the same outputs, the same handler error types and the
//! same messages. The caller is `system-tests/python/nexus_caller.py`; the SDK comes
//! from PyPI (`cargo xtask test` installs it).

use devkit::probe::{self, ProbeOutcome, ProbeRequest};
use serde_json::{Value, json};
use shared_contracts::names::{endpoints, namespaces};
use shared_contracts::operation::{
    CHECK_ABM_PROGRAM, GET_ACCOUNT_HEALTH, GET_ACCOUNT_SNAPSHOT, RUN_COORDINATOR,
};
use tokio::process::Command;

use crate::system::System;

/// One call: from a workflow in `namespace`, `service/operation` on `endpoint`.
struct Call {
    namespace: &'static str,
    endpoint: &'static str,
    service: &'static str,
    operation: &'static str,
    input: Value,
    /// The handler error type this call must end with; `None`: it must complete.
    refused_as: Option<&'static str>,
}

/// What a caller saw, in terms both SDKs share.
#[derive(Debug, PartialEq)]
enum Answer {
    Completed(Value),
    /// The handler's error type (`None`: the operation itself failed) and the most
    /// specific message.
    Failed(Option<String>, String),
}

impl Answer {
    fn of_rust(outcome: &ProbeOutcome) -> Self {
        if outcome.outcome == "completed" {
            return Self::Completed(outcome.output.clone().unwrap_or(Value::Null));
        }
        let handler_error = outcome.failures.iter().find_map(|level| {
            let kind = level.strip_prefix("NexusHandlerFailure(")?;
            Some(kind.split(',').next()?.to_owned())
        });
        let innermost = outcome.failures.last().expect("a failure has a chain");
        let message = innermost
            .split_once(": ")
            .map_or(innermost.as_str(), |(_, message)| message);
        Self::Failed(handler_error, message.to_owned())
    }

    fn of_python(line: &Value) -> Self {
        match line["outcome"].as_str() {
            Some("completed") => Self::Completed(line["output"].clone()),
            Some("failed") => Self::Failed(
                line["handler_error"].as_str().map(str::to_owned),
                line["message"].as_str().unwrap_or_default().to_owned(),
            ),
            _ => panic!("the Python caller printed {line}"),
        }
    }
}

/// The Python caller's answers to `calls`, all from one namespace, in order.
async fn python_answers(system: &System, namespace: &str, calls: &[&Call]) -> Vec<Answer> {
    let sdk = devkit::python_sdk::installed().unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("python/nexus_caller.py");
    let calls: Vec<Value> = calls
        .iter()
        .map(|call| {
            json!({
                "endpoint": call.endpoint,
                "service": call.service,
                "operation": call.operation,
                "input": call.input,
            })
        })
        .collect();
    let output = Command::new(devkit::temporal_cli::python3().unwrap())
        .arg(&script)
        .arg(system.server.address())
        .arg(namespace)
        .arg(Value::from(calls.clone()).to_string())
        .env("PYTHONPATH", &sdk)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the Python caller failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: Vec<Answer> = stdout
        .lines()
        .map(|line| Answer::of_python(&serde_json::from_str(line).unwrap()))
        .collect();
    assert_eq!(answers.len(), calls.len(), "{stdout}");
    answers
}

async fn rust_answer(system: &System, call: &Call) -> Answer {
    let request = ProbeRequest::new(
        call.endpoint,
        call.service,
        call.operation,
        call.input.clone(),
    );
    let run = probe::run_probe(&system.server, call.namespace, request)
        .await
        .unwrap();
    Answer::of_rust(&run.outcome)
}

/// The brief without what differs from run to run (its run's id and times).
fn stable_brief(mut brief: Value) -> Value {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.retain(|key, _| {
                    !(key.ends_with("At") || key.ends_with("Id") && key != "accountId")
                        && key != "durationMs"
                });
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut brief);
    brief
}

#[tokio::test]
async fn a_python_sdk_caller_gets_the_same_answers_as_the_rust_caller() {
    let system = System::start().await;
    let mut cs = system.start_cs_worker(|_| {}).await;
    let op = |namespace, endpoint, (service, operation), input, refused_as| Call {
        namespace,
        endpoint,
        service,
        operation,
        input,
        refused_as,
    };
    let abm = (CHECK_ABM_PROGRAM.service, CHECK_ABM_PROGRAM.name);
    let snapshot = (GET_ACCOUNT_SNAPSHOT.service, GET_ACCOUNT_SNAPSHOT.name);
    let health = (GET_ACCOUNT_HEALTH.service, GET_ACCOUNT_HEALTH.name);
    let coordinator = (RUN_COORDINATOR.service, RUN_COORDINATOR.name);
    let (gtm, marketing) = (namespaces::GTM, namespaces::MARKETING);
    let calls = [
        // Sync, answered.
        op(
            gtm,
            endpoints::MARKETING_ABM,
            abm,
            json!({"accountId": "acme-corp"}),
            None,
        ),
        op(
            marketing,
            endpoints::CS_HEALTH,
            health,
            json!({"accountId": "acme-corp"}),
            None,
        ),
        // Sync, refused: a bad input, and a namespace outside the allowlist.
        op(
            gtm,
            endpoints::MARKETING_ABM,
            abm,
            json!({"accountId": "Not A Slug"}),
            Some("BAD_REQUEST"),
        ),
        op(
            gtm,
            endpoints::GTM_COORDINATOR,
            snapshot,
            json!({"accountId": "acme-corp"}),
            Some("UNAUTHORIZED"),
        ),
        // Async, a workflow run to its brief.
        op(
            marketing,
            endpoints::GTM_COORDINATOR,
            coordinator,
            json!({"accountId": "acme-corp", "requestedBy": "interop"}),
            None,
        ),
    ];
    system
        .with_gtm_worker(system.gtm_config(), async {
            let mut python = Vec::new();
            for namespace in [gtm, marketing] {
                let from: Vec<&Call> = calls.iter().filter(|c| c.namespace == namespace).collect();
                let answers = python_answers(&system, namespace, &from).await;
                python.extend(from.into_iter().zip(answers));
            }
            for (call, python) in python {
                // What the Python caller must see, whatever the Rust caller sees.
                match (&python, call.refused_as) {
                    (Answer::Completed(output), None) => {
                        assert_eq!(output["accountId"], "acme-corp", "{output}");
                    }
                    (Answer::Failed(Some(kind), message), Some(expected)) => {
                        assert_eq!(kind, expected, "{message}");
                        assert!(
                            message.contains("accountId") || message.contains("caller namespace"),
                            "{message}"
                        );
                    }
                    (answer, expected) => panic!(
                        "{}/{} from {}: expected {expected:?}, got {answer:?}",
                        call.service, call.operation, call.namespace
                    ),
                }
                let rust = rust_answer(&system, call).await;
                let (rust, python) = match (rust, python) {
                    (Answer::Completed(rust), Answer::Completed(python))
                        if call.operation == RUN_COORDINATOR.name =>
                    {
                        assert_eq!(rust["accountId"], "acme-corp", "{rust}");
                        (
                            Answer::Completed(stable_brief(rust)),
                            Answer::Completed(stable_brief(python)),
                        )
                    }
                    other => other,
                };
                assert_eq!(
                    python, rust,
                    "{}/{} from {}",
                    call.service, call.operation, call.namespace
                );
            }
        })
        .await;
    cs.stop().await.unwrap();
}
