//! How Customer Success scores an account's health, and how the monitor folds the
//! other teams' views into it. Pure functions over what the database holds, so every
//! rule is unit-tested here.
//!
//! # Customer Success's own score (`cs.health.v1/getAccountHealth`)
//!
//! Start at 100, then:
//!
//! | what | rule | points |
//! | --- | --- | --- |
//! | open support tickets | per open ticket: low 2, medium 5, high 10, critical 20; at most 40 in all | −2 … −40 |
//! | NPS, last 180 days | % promoters (9–10) − % detractors (0–6): below 0 | −20 |
//! | | 0 to 29 | −8 |
//! | | no response in 180 days | −5 |
//! | usage trend | active users now against the reading about 90 days before: down 15 % or more (**declining**) | −20 |
//! | | up 10 % or more (**growing**) | +5 |
//! | | fewer than two readings (**unknown**) | −5 |
//! | seat use | under half the purchased seats active | −10 |
//! | renewal | overdue | −15 |
//! | | within 90 days while the score so far is under 70 | −10 |
//!
//! The score is clamped to 0–100 and banded: 70 and above `healthy`, 40–69 `watch`,
//! below 40 `at-risk` ([`HealthBand::of_score`]). Each rule that moved the score
//! leaves a driver in words; the biggest moves come first.
//!
//! # The cross-team score (the monitor's snapshot)
//!
//! Customer Success's score, then:
//!
//! | view | rule | points |
//! | --- | --- | --- |
//! | GTM (`getAccountSnapshot`) | no open pipeline and the renewal within 120 days | −10 |
//! | Marketing (`checkAbmProgram`) | in an active ABM program: marketing is working the account | +5 |
//!
//! A view that is missing changes nothing and is named in the snapshot's `missing`;
//! without Customer Success's own view there is no score at all.

use chrono::{DateTime, Duration, Utc};
pub use seed_data::model::TicketSeverity as Severity;
use shared_contracts::AccountId;
use shared_contracts::abm::AbmCheckResponse;
use shared_contracts::accounts::AccountSnapshot;
use shared_contracts::health::{AccountHealth, HealthBand, UsageTrend};

/// Points an open ticket of this severity takes off.
fn ticket_penalty(severity: Severity) -> i32 {
    match severity {
        Severity::Low => 2,
        Severity::Medium => 5,
        Severity::High => 10,
        Severity::Critical => 20,
    }
}

/// A usage reading: active users against seats, on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageReading {
    /// When it was taken.
    pub taken_on: DateTime<Utc>,
    /// Users active in the period.
    pub active_users: u32,
    /// Seats purchased.
    pub seats: u32,
}

/// What Customer Success's database holds on one account, as the rules read it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountRecords {
    /// Severities of the tickets not yet closed.
    pub open_tickets: Vec<Severity>,
    /// Usage readings, in any order.
    pub usage: Vec<UsageReading>,
    /// NPS scores (0–10) with when they were given.
    pub nps: Vec<(DateTime<Utc>, u8)>,
    /// When the contract renews, if on record.
    pub renews_on: Option<DateTime<Utc>>,
}

/// Ticket points taken off at most.
const TICKET_PENALTY_CAP: i32 = 40;
/// NPS responses older than this are not counted.
const NPS_WINDOW_DAYS: i64 = 180;
/// The trend compares with the reading closest to this many days before the latest.
const TREND_LOOKBACK_DAYS: i64 = 90;
/// A reading less than this many days before the latest is too close for a trend.
const TREND_MIN_GAP_DAYS: i64 = 45;

/// One rule's effect: points and why.
struct Driver {
    points: i32,
    why: String,
}

/// Customer Success's health of `account_id` from its `records`, as of `now`.
pub fn account_health(
    account_id: AccountId,
    records: &AccountRecords,
    now: DateTime<Utc>,
) -> AccountHealth {
    let mut drivers = Vec::new();

    let open_tickets = u32::try_from(records.open_tickets.len()).unwrap_or(u32::MAX);
    if let Some(driver) = tickets_driver(&records.open_tickets) {
        drivers.push(driver);
    }

    let nps = net_promoter_score(&records.nps, now);
    drivers.push(match nps {
        None => Driver {
            points: -5,
            why: format!("no NPS response in {NPS_WINDOW_DAYS} days"),
        },
        Some((score, count)) => Driver {
            points: match score {
                ..0 => -20,
                0..30 => -8,
                _ => 0,
            },
            why: format!("NPS {score} from {count} {}", plural(count, "response")),
        },
    });

    let (usage_trend, change) = usage_trend(&records.usage);
    match (usage_trend, change) {
        (UsageTrend::Declining, Some(change)) => drivers.push(Driver {
            points: -20,
            why: format!("active users down {}% in about 90 days", -change),
        }),
        (UsageTrend::Growing, Some(change)) => drivers.push(Driver {
            points: 5,
            why: format!("active users up {change}% in about 90 days"),
        }),
        (UsageTrend::Unknown, _) => drivers.push(Driver {
            points: -5,
            why: "too few usage readings for a trend".to_owned(),
        }),
        _ => {}
    }
    if let Some(latest) = records.usage.iter().max_by_key(|r| r.taken_on)
        && latest.seats > 0
        && latest.active_users * 2 < latest.seats
    {
        drivers.push(Driver {
            points: -10,
            why: format!(
                "{} of {} seats active ({}%)",
                latest.active_users,
                latest.seats,
                latest.active_users * 100 / latest.seats
            ),
        });
    }

    let renewal_in_days = records.renews_on.map(|on| whole_days(on - now));
    let so_far = clamp(100 + drivers.iter().map(|d| d.points).sum::<i32>());
    match renewal_in_days {
        Some(days) if days < 0 => drivers.push(Driver {
            points: -15,
            why: format!("renewal overdue by {} {}", -days, plural(-days, "day")),
        }),
        Some(days) if days <= 90 && so_far < i32::from(HealthBand::HEALTHY_FROM) => {
            drivers.push(Driver {
                points: -10,
                why: format!("renews in {days} {} while not healthy", plural(days, "day")),
            });
        }
        _ => {}
    }

    let score = clamp(100 + drivers.iter().map(|d| d.points).sum::<i32>());
    let health_score = u8::try_from(score).unwrap_or(0);
    AccountHealth {
        account_id,
        health_score,
        band: HealthBand::of_score(health_score),
        open_tickets,
        nps: nps.map(|(score, _)| score),
        usage_trend,
        renewal_in_days,
        drivers: in_words(drivers),
    }
}

/// The cross-team score and band from Customer Success's `health` and the other two
/// teams' views (each `None` when that team did not answer), with the drivers.
pub fn cross_team(
    health: &AccountHealth,
    gtm: Option<&AccountSnapshot>,
    abm: Option<&AbmCheckResponse>,
) -> (u8, HealthBand, Vec<String>) {
    let mut drivers = Vec::new();
    if let Some(gtm) = gtm
        && gtm.known
        && gtm.open_pipeline.open_count == 0
        && let Some(days) = health.renewal_in_days.filter(|days| *days <= 120)
    {
        drivers.push(Driver {
            points: -10,
            why: format!("GTM: no open pipeline, renewal in {days} days"),
        });
    }
    if let Some(abm) = abm.filter(|abm| abm.in_abm_program) {
        drivers.push(Driver {
            points: 5,
            why: format!(
                "Marketing: in active ABM program {} ({} {} left)",
                abm.program_name.as_deref().unwrap_or("(unnamed)"),
                abm.touches_remaining,
                plural(i64::from(abm.touches_remaining), "touch")
            ),
        });
    }
    let score =
        clamp(i32::from(health.health_score) + drivers.iter().map(|d| d.points).sum::<i32>());
    let score = u8::try_from(score).unwrap_or(0);
    let mut words = health.drivers.clone();
    words.extend(in_words(drivers));
    (score, HealthBand::of_score(score), words)
}

/// Whether a move from `previous` to `now` calls for a fresh coordinator brief: the
/// band fell to `at-risk` from anything else (or from no band yet).
pub fn escalates(previous: Option<HealthBand>, now: Option<HealthBand>) -> bool {
    now == Some(HealthBand::AtRisk) && previous != Some(HealthBand::AtRisk)
}

fn tickets_driver(open: &[Severity]) -> Option<Driver> {
    if open.is_empty() {
        return None;
    }
    let points = open
        .iter()
        .map(|s| ticket_penalty(*s))
        .sum::<i32>()
        .min(TICKET_PENALTY_CAP);
    let by_severity: Vec<String> = Severity::ALL
        .iter()
        .copied()
        .rev()
        .filter_map(|severity| {
            let count = open.iter().filter(|s| **s == severity).count();
            (count > 0).then(|| format!("{count} {}", severity.as_str()))
        })
        .collect();
    Some(Driver {
        points: -points,
        why: format!(
            "{} open {} ({})",
            open.len(),
            plural(open.len() as i64, "ticket"),
            by_severity.join(", ")
        ),
    })
}

/// NPS of the responses in the window, with how many there were; `None` for none.
fn net_promoter_score(responses: &[(DateTime<Utc>, u8)], now: DateTime<Utc>) -> Option<(i32, i64)> {
    let since = now - Duration::days(NPS_WINDOW_DAYS);
    let recent: Vec<u8> = responses
        .iter()
        .filter(|(at, _)| *at >= since)
        .map(|(_, score)| *score)
        .collect();
    if recent.is_empty() {
        return None;
    }
    let count = recent.len() as i64;
    let promoters = recent.iter().filter(|s| **s >= 9).count() as i64;
    let detractors = recent.iter().filter(|s| **s <= 6).count() as i64;
    // Rounded half away from zero, as NPS is usually reported.
    let nps =
        ((promoters - detractors) * 200 + count * (promoters - detractors).signum()) / (2 * count);
    Some((i32::try_from(nps).unwrap_or(0), count))
}

/// The trend and the change in whole percent, from the latest reading and the one
/// closest to 90 days before it.
fn usage_trend(readings: &[UsageReading]) -> (UsageTrend, Option<i64>) {
    let Some(latest) = readings.iter().max_by_key(|r| r.taken_on) else {
        return (UsageTrend::Unknown, None);
    };
    let target = latest.taken_on - Duration::days(TREND_LOOKBACK_DAYS);
    let Some(before) = readings
        .iter()
        .filter(|r| latest.taken_on - r.taken_on >= Duration::days(TREND_MIN_GAP_DAYS))
        .min_by_key(|r| (r.taken_on - target).num_days().abs())
    else {
        return (UsageTrend::Unknown, None);
    };
    if before.active_users == 0 {
        return (UsageTrend::Unknown, None);
    }
    let change = (i64::from(latest.active_users) - i64::from(before.active_users)) * 100
        / i64::from(before.active_users);
    let trend = match change {
        ..=-15 => UsageTrend::Declining,
        10.. => UsageTrend::Growing,
        _ => UsageTrend::Flat,
    };
    (trend, Some(change))
}

/// The drivers in words, biggest move first (ties keep their order).
fn in_words(mut drivers: Vec<Driver>) -> Vec<String> {
    drivers.sort_by_key(|d| std::cmp::Reverse(d.points.abs()));
    drivers.into_iter().map(|d| d.why).collect()
}

/// A span in days, rounded to the nearest: a renewal stored "in 210 days" a moment
/// ago is still in 210 days, not 209.
fn whole_days(span: Duration) -> i64 {
    (span.num_seconds() as f64 / 86_400.0).round() as i64
}

fn clamp(score: i32) -> i32 {
    score.clamp(0, 100)
}

fn plural(count: i64, word: &str) -> String {
    match (count, word) {
        (1 | -1, _) => word.to_owned(),
        (_, "touch") => "touches".to_owned(),
        _ => format!("{word}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_contracts::abm::AbmStatus;
    use shared_contracts::coordinator::PipelineSummary;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-06-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn days_ago(days: i64) -> DateTime<Utc> {
        now() - Duration::days(days)
    }

    fn usage(points: &[(i64, u32)], seats: u32) -> Vec<UsageReading> {
        points
            .iter()
            .map(|(ago, active)| UsageReading {
                taken_on: days_ago(*ago),
                active_users: *active,
                seats,
            })
            .collect()
    }

    fn id() -> AccountId {
        AccountId::parse("acme-corp").unwrap()
    }

    #[test]
    fn a_quiet_growing_account_is_healthy() {
        let records = AccountRecords {
            open_tickets: vec![Severity::Low],
            usage: usage(&[(150, 290), (90, 300), (0, 345)], 400),
            nps: vec![
                (days_ago(10), 9),
                (days_ago(40), 10),
                (days_ago(50), 9),
                (days_ago(60), 8),
            ],
            renews_on: Some(now() + Duration::days(210)),
        };
        let health = account_health(id(), &records, now());
        // 100 - 2 (one low ticket) + 5 (growing 15%), clamped.
        assert_eq!(health.health_score, 100);
        assert_eq!(health.band, HealthBand::Healthy);
        assert_eq!(health.nps, Some(75));
        assert_eq!(health.usage_trend, UsageTrend::Growing);
        assert_eq!(health.open_tickets, 1);
        assert_eq!(health.renewal_in_days, Some(210));
        assert_eq!(
            health.drivers,
            [
                "active users up 15% in about 90 days",
                "1 open ticket (1 low)",
                "NPS 75 from 4 responses",
            ]
        );
    }

    #[test]
    fn tickets_nps_usage_and_renewal_add_up_to_at_risk() {
        let records = AccountRecords {
            open_tickets: vec![Severity::Critical, Severity::High],
            usage: usage(&[(90, 420), (0, 250)], 600),
            nps: vec![
                (days_ago(5), 3),
                (days_ago(20), 5),
                (days_ago(30), 6),
                (days_ago(40), 9),
            ],
            renews_on: Some(now() + Duration::days(40)),
        };
        let health = account_health(id(), &records, now());
        // 100 - 30 (tickets) - 20 (NPS -50) - 20 (declining 40%) - 10 (seats 41%)
        // - 10 (renewal in 40 days while not healthy) = 10.
        assert_eq!(health.health_score, 10);
        assert_eq!(health.band, HealthBand::AtRisk);
        assert_eq!(health.nps, Some(-50));
        assert_eq!(health.usage_trend, UsageTrend::Declining);
        assert_eq!(health.drivers[0], "2 open tickets (1 critical, 1 high)");
        assert!(
            health
                .drivers
                .contains(&"renews in 40 days while not healthy".to_owned())
        );
        assert!(
            health
                .drivers
                .contains(&"250 of 600 seats active (41%)".to_owned())
        );
    }

    #[test]
    fn ticket_points_are_capped() {
        let records = AccountRecords {
            open_tickets: vec![Severity::Critical; 5],
            usage: usage(&[(90, 100), (0, 100)], 100),
            nps: vec![(days_ago(1), 10)],
            renews_on: None,
        };
        let health = account_health(id(), &records, now());
        assert_eq!(health.health_score, 60, "only 40 points for tickets");
        assert_eq!(health.band, HealthBand::Watch);
        assert_eq!(health.usage_trend, UsageTrend::Flat);
        assert_eq!(health.renewal_in_days, None);
    }

    #[test]
    fn missing_data_costs_a_little_and_says_so() {
        let records = AccountRecords {
            usage: usage(&[(0, 10)], 25),
            ..AccountRecords::default()
        };
        let health = account_health(id(), &records, now());
        // - 5 (no NPS) - 5 (no trend) - 10 (10 of 25 seats).
        assert_eq!(health.health_score, 80);
        assert_eq!(health.nps, None);
        assert_eq!(health.usage_trend, UsageTrend::Unknown);
        assert!(
            health
                .drivers
                .contains(&"no NPS response in 180 days".to_owned())
        );
        assert!(
            health
                .drivers
                .contains(&"too few usage readings for a trend".to_owned())
        );
    }

    #[test]
    fn old_nps_responses_do_not_count_and_overdue_renewals_do() {
        let records = AccountRecords {
            usage: usage(&[(90, 100), (0, 100)], 100),
            nps: vec![(days_ago(200), 0)],
            renews_on: Some(now() - Duration::days(3)),
            ..AccountRecords::default()
        };
        let health = account_health(id(), &records, now());
        assert_eq!(health.nps, None);
        assert_eq!(health.renewal_in_days, Some(-3));
        assert!(
            health
                .drivers
                .contains(&"renewal overdue by 3 days".to_owned())
        );
        assert_eq!(health.health_score, 80);
    }

    #[test]
    fn nps_is_promoters_minus_detractors_rounded() {
        let at = days_ago(1);
        let nps = |scores: &[u8]| {
            net_promoter_score(&scores.iter().map(|s| (at, *s)).collect::<Vec<_>>(), now())
                .map(|(nps, _)| nps)
        };
        assert_eq!(nps(&[9, 10, 7]), Some(67));
        assert_eq!(nps(&[0, 6, 9]), Some(-33));
        assert_eq!(nps(&[7, 8]), Some(0));
        assert_eq!(nps(&[10]), Some(100));
        assert_eq!(nps(&[]), None);
    }

    fn health(score: u8, renewal: Option<i64>) -> AccountHealth {
        AccountHealth {
            account_id: id(),
            health_score: score,
            band: HealthBand::of_score(score),
            open_tickets: 0,
            nps: None,
            usage_trend: UsageTrend::Flat,
            renewal_in_days: renewal,
            drivers: vec!["cs driver".to_owned()],
        }
    }

    fn gtm(open: u32) -> AccountSnapshot {
        let mut snapshot = AccountSnapshot::unknown(id());
        snapshot.known = true;
        snapshot.open_pipeline = PipelineSummary {
            open_count: open,
            ..snapshot.open_pipeline
        };
        snapshot
    }

    #[test]
    fn other_teams_views_move_the_score() {
        let abm = AbmCheckResponse::enrolled(
            id(),
            "Enterprise Expansion Q1".into(),
            AbmStatus::Active,
            3,
        );
        let (score, band, drivers) = cross_team(&health(42, Some(60)), Some(&gtm(0)), Some(&abm));
        assert_eq!((score, band), (37, HealthBand::AtRisk));
        assert_eq!(
            drivers,
            [
                "cs driver",
                "GTM: no open pipeline, renewal in 60 days",
                "Marketing: in active ABM program Enterprise Expansion Q1 (3 touches left)",
            ]
        );
        // Open pipeline, or a renewal far away, and no program: nothing changes.
        let (score, _, drivers) = cross_team(&health(42, Some(60)), Some(&gtm(2)), None);
        assert_eq!((score, drivers.len()), (42, 1));
        let (score, _, _) = cross_team(&health(42, Some(300)), Some(&gtm(0)), None);
        assert_eq!(score, 42);
        // Missing views change nothing.
        let (score, _, _) = cross_team(&health(42, Some(60)), None, None);
        assert_eq!(score, 42);
    }

    #[test]
    fn only_a_fall_into_at_risk_escalates() {
        use HealthBand::*;
        assert!(escalates(None, Some(AtRisk)));
        assert!(escalates(Some(Watch), Some(AtRisk)));
        assert!(escalates(Some(Healthy), Some(AtRisk)));
        assert!(!escalates(Some(AtRisk), Some(AtRisk)), "not once per cycle");
        assert!(!escalates(Some(Watch), Some(Healthy)));
        assert!(
            !escalates(Some(AtRisk), None),
            "a missing view is not a change"
        );
        assert!(!escalates(None, None));
    }
}
