//! Property tests: bad input, thoroughly.
//!
//! The contract is the first thing a malformed request meets, so it must hold for any
//! input, not just the examples in the unit tests:
//!
//! - [`AccountId`]: every valid slug parses and round-trips; any other string is
//!   refused with a message that names the rule it breaks and shows the value with
//!   invisible characters escaped; nothing panics.
//! - every payload and every decode path (`codec::decode`, the operation descriptors'
//!   `decode_input`/`decode_output`): arbitrary bytes, arbitrary JSON, truncated
//!   payloads and valid payloads with one part broken never panic, and either decode to
//!   a value that survives a round trip unchanged, or fail with an error that names the
//!   field path at fault (a path that exists in the input, at or around the broken part).
//!
//! Case counts are kept moderate so the suite stays a few seconds long; a failing case
//! is shrunk and saved under `proptest-regressions/`, so it is replayed on every later
//! run.

use std::fmt::Debug;

use chrono::{DateTime, Utc};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use shared_contracts::abm::{AbmCheckRequest, AbmCheckResponse, AbmStatus};
use shared_contracts::campaign::{
    CampaignLaunchInput, CampaignLaunchSummary, LaunchAccountResult, LaunchAccountStatus,
};
use shared_contracts::codec::{self, ContractError};
use shared_contracts::coordinator::{
    AbmOutcome, BuyingCommittee, CommitteeMember, CoordinatorBrief, CoordinatorInput,
    CoordinatorProgress, FitFactor, FitScore, IntentSummary, NextAction, PipelineSummary,
    StepProgress, StepStatus,
};
use shared_contracts::operation::{CHECK_ABM_PROGRAM, RUN_COORDINATOR};
use shared_contracts::steps::{STEPS, StepId};
use shared_contracts::{ACCOUNT_ID_MAX_LEN, ACCOUNT_ID_RULE, AccountId};

/// Cases per property: enough to find the usual edge cases, few enough to stay fast.
const CASES: u32 = 256;

/// [`shared_contracts::ACCOUNT_ID_PATTERN`] without its anchors: every string it
/// generates is a valid slug, and every valid slug can be generated.
const VALID_SLUG: &str = "[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?";

// ---------------------------------------------------------------------------------
// AccountId
// ---------------------------------------------------------------------------------

/// The slug rule, written out again independently of the crate's own check.
fn is_valid_slug(value: &str) -> bool {
    let length = value.chars().count();
    (1..=ACCOUNT_ID_MAX_LEN).contains(&length)
        && value
            .chars()
            .all(|c| matches!(c, 'a'..='z' | '0'..='9' | '-'))
        && !value.starts_with('-')
        && !value.ends_with('-')
}

/// True when `value` really breaks the part of the rule an error names.
fn breaks(value: &str, problem: &str) -> bool {
    match problem {
        "it is empty" => value.is_empty(),
        "it is longer than 64 characters" => value.chars().count() > ACCOUNT_ID_MAX_LEN,
        "it contains a character other than a-z, 0-9 and '-'" => value
            .chars()
            .any(|c| !matches!(c, 'a'..='z' | '0'..='9' | '-')),
        "it starts or ends with '-'" => value.starts_with('-') || value.ends_with('-'),
        _ => false,
    }
}

/// Characters that look like a slug's, or cannot be seen at all: what an attacker (or a
/// copy-paste from a rich-text document) slips into an id.
const UNICODE_TRICKS: &[char] = &[
    // Homoglyphs of a-z, 0-9 and '-'.
    '\u{0430}', // CYRILLIC SMALL LETTER A
    '\u{0435}', // CYRILLIC SMALL LETTER IE
    '\u{043e}', // CYRILLIC SMALL LETTER O
    '\u{0441}', // CYRILLIC SMALL LETTER ES
    '\u{03bf}', // GREEK SMALL LETTER OMICRON
    '\u{0131}', // LATIN SMALL LETTER DOTLESS I
    '\u{ff41}', // FULLWIDTH LATIN SMALL LETTER A
    '\u{ff10}', // FULLWIDTH DIGIT ZERO
    '\u{0660}', // ARABIC-INDIC DIGIT ZERO
    '\u{2010}', // HYPHEN
    '\u{2011}', // NON-BREAKING HYPHEN
    '\u{2013}', // EN DASH
    '\u{2212}', // MINUS SIGN
    '\u{fe63}', // SMALL HYPHEN-MINUS
    '\u{0301}', // COMBINING ACUTE ACCENT
    // Invisible: zero-width and format characters.
    '\u{200b}', // ZERO WIDTH SPACE
    '\u{200c}', // ZERO WIDTH NON-JOINER
    '\u{200d}', // ZERO WIDTH JOINER
    '\u{2060}', // WORD JOINER
    '\u{feff}', // ZERO WIDTH NO-BREAK SPACE (BOM)
    '\u{00ad}', // SOFT HYPHEN
    // Bidirectional overrides and isolates.
    '\u{202e}', // RIGHT-TO-LEFT OVERRIDE
    '\u{202d}', // LEFT-TO-RIGHT OVERRIDE
    '\u{200f}', // RIGHT-TO-LEFT MARK
    '\u{2066}', // LEFT-TO-RIGHT ISOLATE
    '\u{2069}', // POP DIRECTIONAL ISOLATE
    // Control characters, whitespace and line breaks.
    '\0', '\t', '\n', '\r', '\u{7f}', '\u{a0}',   // NO-BREAK SPACE
    '\u{2028}', // LINE SEPARATOR
    ' ',        // ASCII outside the rule: case, separators, traversal and percent-encoding.
    'A', '_', '.', '/', '\\', '%',
];

/// Characters an error message must never carry raw: they hide or reorder text in the
/// logs, the Temporal UI and the dashboard that show the message.
fn is_invisible_or_control(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00ad}'
                | '\u{0300}'..='\u{036f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// A string of anything: any Unicode scalar value, controls and NUL included.
fn any_text(max_chars: usize) -> impl Strategy<Value = String> {
    vec(any::<char>(), 0..=max_chars).prop_map(String::from_iter)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn valid_slugs_parse_and_round_trip(slug in VALID_SLUG) {
        let id = AccountId::parse(slug.as_str()).map_err(|err| TestCaseError::fail(err.to_string()))?;
        prop_assert_eq!(id.as_str(), slug.as_str());
        prop_assert_eq!(id.to_string(), slug.as_str());
        prop_assert_eq!(&slug.parse::<AccountId>().unwrap(), &id);
        prop_assert_eq!(&AccountId::try_from(slug.clone()).unwrap(), &id);
        let json = serde_json::to_string(&id).unwrap();
        prop_assert_eq!(&json, &format!("\"{slug}\""));
        prop_assert_eq!(serde_json::from_str::<AccountId>(&json).unwrap(), id);
    }

    #[test]
    fn any_string_is_a_valid_slug_or_an_error_naming_the_rule(value in prop_oneof![
        any_text(80),
        // Mostly slug characters, so the edge rules (dashes, length) get exercised too.
        vec(select(vec!['a', 'z', '0', '9', '-', '-', 'A', '_', '\u{2010}']), 0..80)
            .prop_map(String::from_iter),
    ]) {
        let parsed = AccountId::parse(value.as_str());
        // Every way in agrees: FromStr, TryFrom and deserialisation all use the rule.
        prop_assert_eq!(&value.parse::<AccountId>(), &parsed);
        prop_assert_eq!(&AccountId::try_from(value.clone()), &parsed);
        let deserialised = serde_json::from_value::<AccountId>(Value::String(value.clone()));
        prop_assert_eq!(deserialised.is_ok(), parsed.is_ok());
        match parsed {
            Ok(id) => {
                prop_assert!(is_valid_slug(id.as_str()), "accepted {:?}", id);
                prop_assert_eq!(id.as_str(), value.as_str());
            }
            Err(err) => {
                prop_assert!(!is_valid_slug(&value), "refused the valid slug {:?}", value);
                prop_assert!(breaks(&value, err.problem), "{:?} does not break {:?}", value, err.problem);
                let message = err.to_string();
                prop_assert!(message.starts_with("accountId "), "{}", message);
                prop_assert!(message.contains(err.problem), "{}", message);
                prop_assert!(message.contains(ACCOUNT_ID_RULE), "{}", message);
                prop_assert!(value.starts_with(err.value.as_str()));
                prop_assert!(!message.chars().any(is_invisible_or_control), "{:?}", message);
            }
        }
    }

    #[test]
    fn unicode_tricks_in_a_slug_are_refused_and_shown_escaped(
        slug in VALID_SLUG,
        trick in select(UNICODE_TRICKS),
        at in any::<Index>(),
    ) {
        let mut chars: Vec<char> = slug.chars().collect();
        chars.insert(at.index(chars.len() + 1), trick);
        let tricked: String = chars.into_iter().collect();
        let err = AccountId::parse(tricked.as_str()).expect_err("a tricked slug must be refused");
        prop_assert!(breaks(&tricked, err.problem), "{:?}: {:?}", tricked, err.problem);
        let message = err.to_string();
        prop_assert!(message.contains(ACCOUNT_ID_RULE), "{}", message);
        // `{:?}` shows an invisible character as an escape (`\u{202e}`), so the message
        // cannot be made to look like a different, valid id.
        prop_assert!(!message.chars().any(is_invisible_or_control), "{:?}", message);
        let json = serde_json::to_vec(&serde_json::json!({"accountId": tricked})).unwrap();
        let decoded = CHECK_ABM_PROGRAM.decode_input(&json).expect_err("refused on the wire too");
        prop_assert!(
            matches!(&decoded, ContractError::InvalidField { field, .. } if field == "accountId"),
            "{:?}", decoded
        );
    }

    #[test]
    fn very_long_strings_are_refused_with_a_short_message(
        unit in prop_oneof![Just("a".to_owned()), Just("acme-".to_owned()), any_text(4)],
        repeat in 65usize..20_000,
    ) {
        let long = unit.repeat(repeat);
        prop_assume!(long.chars().count() > ACCOUNT_ID_MAX_LEN);
        let err = AccountId::parse(long.as_str()).expect_err("longer than the rule allows");
        prop_assert!(err.value.chars().count() <= ACCOUNT_ID_MAX_LEN + 16);
        // At most 80 characters of the value, each escaped to at most `\u{10ffff}`.
        prop_assert!(err.to_string().chars().count() < 1_200, "{}", err);
    }
}

// ---------------------------------------------------------------------------------
// Payloads: strategies for valid values
// ---------------------------------------------------------------------------------

fn account_id() -> impl Strategy<Value = AccountId> {
    VALID_SLUG.prop_map(|slug| AccountId::parse(slug).expect("the generator makes slugs"))
}

fn timestamp() -> impl Strategy<Value = DateTime<Utc>> {
    // 1970 to 2199, to the nanosecond: RFC 3339 keeps every digit.
    (0i64..7_258_118_400, 0u32..1_000_000_000).prop_map(|(seconds, nanos)| {
        DateTime::from_timestamp(seconds, nanos).expect("in chrono's range")
    })
}

/// Decimal numbers with up to 12 digits and 6 decimals.
///
/// serde_json, without its `float_roundtrip` feature (not enabled in this workspace),
/// parses floats with best-effort precision: a float with an extreme exponent may come
/// back one unit in the last place off. Numbers of this shape parse exactly; the
/// contract's only float, the intent score, is rounded to one decimal by its producer.
fn exact_float() -> impl Strategy<Value = f64> {
    (-999_999_999_999i64..1_000_000_000_000, 0i32..=6)
        .prop_map(|(mantissa, decimals)| mantissa as f64 / 10f64.powi(decimals))
}

fn abm_status() -> impl Strategy<Value = AbmStatus> {
    select(vec![
        AbmStatus::Active,
        AbmStatus::Paused,
        AbmStatus::Completed,
        AbmStatus::None,
    ])
}

fn abm_request() -> impl Strategy<Value = AbmCheckRequest> {
    account_id().prop_map(|account_id| AbmCheckRequest { account_id })
}

fn abm_response() -> impl Strategy<Value = AbmCheckResponse> {
    (
        account_id(),
        any::<bool>(),
        proptest::option::of(any_text(24)),
        abm_status(),
        any::<u32>(),
    )
        .prop_map(
            |(account_id, in_abm_program, program_name, status, touches_remaining)| {
                AbmCheckResponse {
                    account_id,
                    in_abm_program,
                    program_name,
                    status,
                    touches_remaining,
                }
            },
        )
}

fn coordinator_input() -> impl Strategy<Value = CoordinatorInput> {
    (account_id(), proptest::option::of(any_text(40))).prop_map(|(account_id, requested_by)| {
        CoordinatorInput {
            account_id,
            requested_by,
        }
    })
}

fn step_progress() -> impl Strategy<Value = StepProgress> {
    (
        select(STEPS.to_vec()),
        any_text(24),
        select(vec![
            StepStatus::Pending,
            StepStatus::Running,
            StepStatus::Completed,
            StepStatus::Failed,
            StepStatus::Skipped,
        ]),
        proptest::option::of(timestamp()),
        proptest::option::of(timestamp()),
        proptest::option::of(any_text(40)),
    )
        .prop_map(
            |(id, title, status, started_at, completed_at, summary): (StepId, _, _, _, _, _)| {
                StepProgress {
                    id,
                    title,
                    status,
                    started_at,
                    completed_at,
                    summary,
                }
            },
        )
}

fn progress() -> impl Strategy<Value = CoordinatorProgress> {
    vec(step_progress(), 0..10)
}

fn abm_outcome() -> impl Strategy<Value = AbmOutcome> {
    prop_oneof![
        abm_response().prop_map(AbmOutcome::Available),
        any_text(40).prop_map(AbmOutcome::unavailable),
    ]
}

fn fit_score() -> impl Strategy<Value = FitScore> {
    (
        any::<u32>(),
        any_text(2),
        vec(
            (any_text(12), any::<u32>(), any::<u32>(), any_text(24)),
            0..4,
        ),
    )
        .prop_map(|(score, tier, factors)| FitScore {
            score,
            tier,
            factors: factors
                .into_iter()
                .map(|(name, points, max_points, detail)| FitFactor {
                    name,
                    points,
                    max_points,
                    detail,
                })
                .collect(),
        })
}

fn intent() -> impl Strategy<Value = IntentSummary> {
    (
        any::<u32>(),
        any::<u32>(),
        exact_float(),
        any_text(8),
        vec(any_text(12), 0..4),
        proptest::option::of(timestamp()),
    )
        .prop_map(
            |(window_days, signal_count, score, level, top_topics, latest_signal_at)| {
                IntentSummary {
                    window_days,
                    signal_count,
                    score,
                    level,
                    top_topics,
                    latest_signal_at,
                }
            },
        )
}

fn buying_committee() -> impl Strategy<Value = BuyingCommittee> {
    (
        vec(any_text(12), 0..4),
        vec(any_text(12), 0..4),
        any::<u32>(),
        vec((any_text(12), any_text(12), any_text(12)), 0..4),
    )
        .prop_map(
            |(covered_roles, missing_roles, coverage_percent, members)| BuyingCommittee {
                covered_roles,
                missing_roles,
                coverage_percent,
                members: members
                    .into_iter()
                    .map(|(name, title, role)| CommitteeMember { name, title, role })
                    .collect(),
            },
        )
}

fn pipeline() -> impl Strategy<Value = PipelineSummary> {
    (
        any::<u32>(),
        any::<i64>(),
        any::<i64>(),
        proptest::option::of(any_text(10)),
        proptest::option::of(any_text(12)),
    )
        .prop_map(
            |(
                open_count,
                total_amount_usd,
                weighted_amount_usd,
                next_close_date,
                furthest_stage,
            )| {
                PipelineSummary {
                    open_count,
                    total_amount_usd,
                    weighted_amount_usd,
                    next_close_date,
                    furthest_stage,
                }
            },
        )
}

fn brief() -> impl Strategy<Value = CoordinatorBrief> {
    (
        account_id(),
        any_text(24),
        fit_score(),
        intent(),
        buying_committee(),
        pipeline(),
        vec(
            (any::<u32>(), any_text(24), any_text(24)).prop_map(|(priority, action, reason)| {
                NextAction {
                    priority,
                    action,
                    reason,
                }
            }),
            0..4,
        ),
        abm_outcome(),
        any_text(60),
        timestamp(),
    )
        .prop_map(
            |(
                account_id,
                account_name,
                fit_score,
                intent,
                buying_committee,
                open_pipeline,
                next_actions,
                abm,
                recommendation,
                completed_at,
            )| CoordinatorBrief {
                account_id,
                account_name,
                fit_score,
                intent,
                buying_committee,
                open_pipeline,
                next_actions,
                abm,
                recommendation,
                completed_at,
            },
        )
}

fn campaign_input() -> impl Strategy<Value = CampaignLaunchInput> {
    // Decoding does not apply `validate()`: any campaign id and count decode.
    (any_text(24), proptest::option::of(any::<u32>())).prop_map(|(campaign_id, max_concurrent)| {
        CampaignLaunchInput {
            campaign_id,
            max_concurrent,
        }
    })
}

fn launch_account() -> impl Strategy<Value = LaunchAccountResult> {
    (
        any_text(24),
        select(vec![
            LaunchAccountStatus::Pending,
            LaunchAccountStatus::Running,
            LaunchAccountStatus::Completed,
            LaunchAccountStatus::Failed,
            LaunchAccountStatus::Canceled,
        ]),
        proptest::option::of(any_text(24)),
        proptest::option::of(any_text(24)),
        proptest::option::of(any_text(24)),
        proptest::option::of(timestamp()),
        proptest::option::of(timestamp()),
    )
        .prop_map(
            |(
                account_id,
                status,
                coordinator_workflow_id,
                recommendation,
                error,
                started_at,
                finished_at,
            )| LaunchAccountResult {
                account_id,
                status,
                coordinator_workflow_id,
                recommendation,
                error,
                started_at,
                finished_at,
            },
        )
}

fn launch_summary() -> impl Strategy<Value = CampaignLaunchSummary> {
    (
        any_text(24),
        proptest::option::of(any_text(24)),
        vec(launch_account(), 0..4),
    )
        .prop_map(
            |(campaign_id, campaign_name, accounts)| CampaignLaunchSummary {
                campaign_id,
                campaign_name,
                accounts,
            },
        )
}

// ---------------------------------------------------------------------------------
// Payloads: arbitrary JSON, and the checks every decode must pass
// ---------------------------------------------------------------------------------

/// The contract's field names, so arbitrary objects sometimes hit a real field.
const FIELD_NAMES: &[&str] = &[
    "accountId",
    "inABMProgram",
    "programName",
    "status",
    "touchesRemaining",
    "requestedBy",
    "id",
    "title",
    "startedAt",
    "completedAt",
    "summary",
    "reason",
    "campaignId",
    "maxConcurrent",
    "campaignName",
    "accounts",
    "fitScore",
    "intent",
    "abm",
];

/// Strings that are often almost right: slugs, enum names, timestamps, or anything.
fn json_text() -> impl Strategy<Value = String> {
    prop_oneof![
        VALID_SLUG.prop_map(String::from),
        select(vec![
            "active",
            "none",
            "unavailable",
            "pending",
            "completed",
            "load_account",
            "2026-01-02T03:04:05Z",
            "2026-01-02T03:04:05.123456789+02:00",
            "",
        ])
        .prop_map(String::from),
        any_text(16),
    ]
}

fn json_key() -> impl Strategy<Value = String> {
    prop_oneof![select(FIELD_NAMES).prop_map(String::from), "[a-zA-Z]{1,8}"]
}

/// Any JSON value, up to four levels deep. Numbers are integers or exact decimals
/// (see [`exact_float`]).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (0u32..10).prop_map(Value::from),
        exact_float().prop_map(Value::from),
        json_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            btree_map(json_key(), inner, 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
    /// serde_path_to_error's `?`: a step it could not name.
    Unknown,
}

/// Reads a field path as `codec` reports it: `accounts[2].status`, `[3].id`, `.`.
fn parse_field_path(path: &str) -> Vec<Step> {
    if path == "." {
        return Vec::new();
    }
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (name, indices) = part.split_at(part.find('[').unwrap_or(part.len()));
        match name {
            "" => {}
            "?" => steps.push(Step::Unknown),
            name => steps.push(Step::Key(name.to_owned())),
        }
        for index in indices.split('[').filter(|s| !s.is_empty()) {
            let index = index.trim_end_matches(']');
            steps.push(index.parse().map_or(Step::Unknown, Step::Index));
        }
    }
    steps
}

/// The node at `path` in `value`, if there is one. A final `?` is a key that could not
/// be read (cut short, say): the path then leads to the object that holds it.
fn node_at<'a>(value: &'a Value, path: &[Step]) -> Option<&'a Value> {
    let path = path.strip_suffix(&[Step::Unknown]).unwrap_or(path);
    path.iter().try_fold(value, |node, step| match step {
        Step::Key(key) => node.get(key.as_str()),
        Step::Index(index) => node.get(*index),
        Step::Unknown => None,
    })
}

/// True when one path leads through the other.
fn on_one_line(a: &[Step], b: &[Step]) -> bool {
    let shared = a.len().min(b.len());
    a[..shared]
        .iter()
        .zip(&b[..shared])
        .all(|(x, y)| x == y || *x == Step::Unknown || *y == Step::Unknown)
}

/// How one decode went, once checked.
#[derive(Debug)]
enum Decoded {
    /// A value that re-encodes and decodes to itself.
    RoundTripped,
    /// An error; `Some(path)` when it names a field (its path in the input).
    Refused(Option<Vec<Step>>),
}

/// Decodes `json` as `T` and checks what every decode must do: a value that survives a
/// round trip unchanged, or an error that says what it was decoding and names the
/// field at fault, at a path that exists in `input` (when the bytes are JSON at all).
fn decode_checked<T>(
    json: &[u8],
    type_name: &str,
    input: Option<&Value>,
) -> Result<Decoded, TestCaseError>
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    match codec::decode::<T>(json) {
        Ok(value) => {
            let encoded = serde_json::to_vec(&value).map_err(|err| {
                TestCaseError::fail(format!("{value:?} decoded but does not encode: {err}"))
            })?;
            let again = codec::decode::<T>(&encoded).map_err(|err| {
                TestCaseError::fail(format!("{value:?} does not decode once re-encoded: {err}"))
            })?;
            prop_assert_eq!(again, value);
            Ok(Decoded::RoundTripped)
        }
        Err(err) => {
            let message = err.to_string();
            let prefix = format!("invalid {type_name}: ");
            prop_assert!(message.starts_with(&prefix), "{}", message);
            prop_assert!(message.len() > prefix.len(), "{}", message);
            match &err {
                ContractError::Malformed { .. } => Ok(Decoded::Refused(None)),
                ContractError::InvalidField { field, message, .. } => {
                    prop_assert!(!field.is_empty() && field != ".", "{:?}", err);
                    prop_assert!(!message.is_empty(), "{:?}", err);
                    let path = parse_field_path(field);
                    if let Some(input) = input {
                        prop_assert!(
                            node_at(input, &path).is_some(),
                            "{} names {:?}, which is not in {}",
                            err,
                            field,
                            input
                        );
                    }
                    Ok(Decoded::Refused(Some(path)))
                }
            }
        }
    }
}

/// Runs `$check::<T>(short name, args...)` for every payload type `T`, with the short
/// name `codec` gives it in messages (`Vec` for the progress list).
macro_rules! each_payload {
    ($check:ident($($arg:expr),*)) => {{
        $check::<AbmCheckRequest>("AbmCheckRequest", $($arg),*)?;
        $check::<AbmCheckResponse>("AbmCheckResponse", $($arg),*)?;
        $check::<CoordinatorInput>("CoordinatorInput", $($arg),*)?;
        $check::<StepProgress>("StepProgress", $($arg),*)?;
        $check::<CoordinatorProgress>("Vec", $($arg),*)?;
        $check::<CoordinatorBrief>("CoordinatorBrief", $($arg),*)?;
        $check::<AbmOutcome>("AbmOutcome", $($arg),*)?;
        $check::<CampaignLaunchInput>("CampaignLaunchInput", $($arg),*)?;
        $check::<LaunchAccountResult>("LaunchAccountResult", $($arg),*)?;
        $check::<CampaignLaunchSummary>("CampaignLaunchSummary", $($arg),*)?;
    }};
}

fn bytes_case<T>(type_name: &str, bytes: &[u8]) -> Result<(), TestCaseError>
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let input: Option<Value> = serde_json::from_slice(bytes).ok();
    decode_checked::<T>(bytes, type_name, input.as_ref()).map(drop)
}

fn json_case<T>(type_name: &str, value: &Value) -> Result<(), TestCaseError>
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let bytes = serde_json::to_vec(value).expect("a JSON value encodes");
    decode_checked::<T>(&bytes, type_name, Some(value)).map(drop)
}

/// The operation descriptors decode exactly as `codec::decode` does.
fn descriptors_agree(bytes: &[u8]) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        CHECK_ABM_PROGRAM.decode_input(bytes),
        codec::decode::<AbmCheckRequest>(bytes)
    );
    prop_assert_eq!(
        CHECK_ABM_PROGRAM.decode_output(bytes),
        codec::decode::<AbmCheckResponse>(bytes)
    );
    prop_assert_eq!(
        RUN_COORDINATOR.decode_input(bytes),
        codec::decode::<CoordinatorInput>(bytes)
    );
    prop_assert_eq!(
        RUN_COORDINATOR.decode_output(bytes),
        codec::decode::<CoordinatorBrief>(bytes)
    );
    Ok(())
}

/// Bytes that are rarely JSON, and JSON text with one byte broken.
fn arbitrary_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..160),
        (json_value(), any::<Index>(), any::<u8>(), 0..3u8).prop_map(|(value, at, byte, how)| {
            let mut bytes = serde_json::to_vec(&value).expect("a JSON value encodes");
            let at = at.index(bytes.len() + 1);
            match how {
                0 => bytes.truncate(at),
                1 => bytes.insert(at, byte),
                _ => {
                    if let Some(slot) = bytes.get_mut(at) {
                        *slot = byte;
                    }
                }
            }
            bytes
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn arbitrary_bytes_decode_or_fail_cleanly(bytes in arbitrary_bytes()) {
        each_payload!(bytes_case(&bytes));
        descriptors_agree(&bytes)?;
    }

    #[test]
    fn arbitrary_json_decodes_or_names_a_field_that_is_there(value in json_value()) {
        each_payload!(json_case(&value));
        descriptors_agree(&serde_json::to_vec(&value).unwrap())?;
    }
}

// ---------------------------------------------------------------------------------
// Payloads: valid values, round-tripped, truncated, and broken in one place
// ---------------------------------------------------------------------------------

/// What to break in a valid payload's JSON.
#[derive(Debug, Clone)]
enum Change {
    /// Put this value where the chosen node was.
    Replace(Value),
    /// Take the chosen node out of its object or array.
    Remove,
    /// Add this field to the chosen node, when it is an object.
    Insert(String, Value),
}

fn change() -> impl Strategy<Value = (Index, Change)> {
    (
        any::<Index>(),
        prop_oneof![
            json_value().prop_map(Change::Replace),
            Just(Change::Remove),
            (json_key(), json_value()).prop_map(|(key, value)| Change::Insert(key, value)),
        ],
    )
}

/// Every node's path in `value`, the root first.
fn all_paths(value: &Value, at: &mut Vec<Step>, paths: &mut Vec<Vec<Step>>) {
    paths.push(at.clone());
    match value {
        Value::Object(fields) => {
            for (key, child) in fields {
                at.push(Step::Key(key.clone()));
                all_paths(child, at, paths);
                at.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                at.push(Step::Index(index));
                all_paths(child, at, paths);
                at.pop();
            }
        }
        _ => {}
    }
}

fn node_at_mut<'a>(value: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |node, step| match step {
        Step::Key(key) => node.get_mut(key.as_str()),
        Step::Index(index) => node.get_mut(*index),
        Step::Unknown => None,
    })
}

/// Applies `change` at the chosen node; returns the path of what changed.
fn apply(value: &mut Value, at: Index, change: Change) -> Vec<Step> {
    let mut paths = Vec::new();
    all_paths(value, &mut Vec::new(), &mut paths);
    let path = at.get(&paths).clone();
    match change {
        Change::Replace(new) => {
            if let Some(node) = node_at_mut(value, &path) {
                *node = new;
            }
            path
        }
        Change::Remove => {
            let Some((last, parent_path)) = path.split_last() else {
                *value = Value::Null;
                return path;
            };
            match (node_at_mut(value, parent_path), last) {
                (Some(Value::Object(fields)), Step::Key(key)) => {
                    fields.remove(key);
                }
                (Some(Value::Array(items)), Step::Index(index)) => {
                    items.remove(*index);
                }
                _ => {}
            }
            parent_path.to_vec()
        }
        Change::Insert(key, new) => {
            if let Some(Value::Object(fields)) = node_at_mut(value, &path) {
                fields.insert(key.clone(), new);
            }
            let mut changed = path;
            changed.push(Step::Key(key));
            changed
        }
    }
}

/// A valid payload: round-trips exactly; every strict prefix of its JSON is refused;
/// broken in one place, it decodes (and round-trips) or the error names the broken
/// place or an object that holds it, never an untouched sibling.
fn survives<T>(type_name: &str, value: T, at: Index, change: Change) -> Result<(), TestCaseError>
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let bytes = serde_json::to_vec(&value).expect("a payload encodes");
    let decoded = codec::decode::<T>(&bytes);
    prop_assert_eq!(decoded.as_ref(), Ok(&value));
    descriptors_agree(&bytes)?;

    let original: Value = serde_json::from_slice(&bytes).expect("payloads are JSON");
    let cut = at.index(bytes.len());
    let prefix_outcome = decode_checked::<T>(&bytes[..cut], type_name, None)?;
    match prefix_outcome {
        Decoded::RoundTripped => {
            return Err(TestCaseError::fail(format!(
                "the truncated payload {:?} decoded",
                String::from_utf8_lossy(&bytes[..cut])
            )));
        }
        Decoded::Refused(Some(path)) => prop_assert!(
            node_at(&original, &path).is_some(),
            "a truncated payload's error names {:?}, not in {}",
            path,
            original
        ),
        Decoded::Refused(None) => {}
    }

    let mut broken = original;
    let changed = apply(&mut broken, at, change);
    let json = serde_json::to_vec(&broken).expect("a JSON value encodes");
    if let Decoded::Refused(Some(path)) = decode_checked::<T>(&json, type_name, Some(&broken))? {
        prop_assert!(
            on_one_line(&path, &changed),
            "changed {:?}, but the error names {:?}: {}",
            changed,
            path,
            broken
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn abm_check_requests_survive(value in abm_request(), (at, change) in change()) {
        survives("AbmCheckRequest", value, at, change)?;
    }

    #[test]
    fn abm_check_responses_survive(value in abm_response(), (at, change) in change()) {
        survives("AbmCheckResponse", value, at, change)?;
    }

    #[test]
    fn coordinator_inputs_survive(value in coordinator_input(), (at, change) in change()) {
        survives("CoordinatorInput", value, at, change)?;
    }

    #[test]
    fn coordinator_progress_survives(value in progress(), (at, change) in change()) {
        survives("Vec", value, at, change)?;
    }

    #[test]
    fn coordinator_briefs_survive(value in brief(), (at, change) in change()) {
        survives("CoordinatorBrief", value, at, change)?;
    }

    #[test]
    fn abm_outcomes_survive(value in abm_outcome(), (at, change) in change()) {
        survives("AbmOutcome", value, at, change)?;
    }

    #[test]
    fn campaign_launch_inputs_survive(value in campaign_input(), (at, change) in change()) {
        survives("CampaignLaunchInput", value, at, change)?;
    }

    #[test]
    fn campaign_launch_summaries_survive(value in launch_summary(), (at, change) in change()) {
        survives("CampaignLaunchSummary", value, at, change)?;
    }
}

/// Deep nesting is refused by the parser's recursion limit, not by a stack overflow.
/// (`AbmOutcome` is untagged: it buffers whatever JSON it is given before matching, so
/// it walks the whole nesting.)
#[test]
fn deeply_nested_json_is_refused_without_overflowing_the_stack() {
    for depth in [129, 10_000, 1_000_000] {
        for (open, close) in [("[", "]"), ("{\"abm\":", "}")] {
            let json = format!("{}{}", open.repeat(depth), close.repeat(depth));
            let err = codec::decode::<AbmOutcome>(json.as_bytes()).unwrap_err();
            assert!(err.to_string().starts_with("invalid AbmOutcome: "), "{err}");
            let err = codec::decode::<CoordinatorBrief>(json.as_bytes()).unwrap_err();
            assert!(
                err.to_string().starts_with("invalid CoordinatorBrief: "),
                "{err}"
            );
        }
    }
}

/// The empty payload, `null`, and a lone byte-order mark are not requests.
#[test]
fn empty_and_null_payloads_are_malformed() {
    for json in [&b""[..], b"null", b" ", b"\xef\xbb\xbf{}", b"\0"] {
        let err = CHECK_ABM_PROGRAM.decode_input(json).unwrap_err();
        assert!(matches!(err, ContractError::Malformed { .. }), "{err}");
        let err = RUN_COORDINATOR.decode_input(json).unwrap_err();
        assert!(matches!(err, ContractError::Malformed { .. }), "{err}");
    }
}
