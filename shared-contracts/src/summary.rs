//! How a step's result reads as one line, for people: in the `progress` query while a
//! run is live, and on the dashboard once it has closed (read back from the brief).
//! Both sides use these impls, so a step reads the same either way.

use crate::coordinator::{
    AbmOutcome, BuyingCommittee, CoordinatorBrief, FitScore, IntentSummary, NextAction,
    PipelineSummary,
};

pub use crate::steps::StepSummary;

impl StepSummary for FitScore {
    fn summary(&self) -> String {
        format!("Fit {}/100 (tier {})", self.score, self.tier)
    }
}

impl StepSummary for IntentSummary {
    fn summary(&self) -> String {
        format!(
            "{} signals in {} days · intent {}",
            self.signal_count, self.window_days, self.level
        )
    }
}

impl StepSummary for BuyingCommittee {
    fn summary(&self) -> String {
        format!(
            "{} of {} roles covered ({}%)",
            self.covered_roles.len(),
            self.covered_roles.len() + self.missing_roles.len(),
            self.coverage_percent
        )
    }
}

impl StepSummary for PipelineSummary {
    fn summary(&self) -> String {
        format!(
            "{} open · ${} (${} weighted)",
            self.open_count,
            thousands(self.total_amount_usd),
            thousands(self.weighted_amount_usd)
        )
    }
}

impl StepSummary for [NextAction] {
    fn summary(&self) -> String {
        match self {
            [] => "no actions".to_owned(),
            [only] => format!("1 action: {}", only.action),
            [first, ..] => format!("{} actions · first: {}", self.len(), first.action),
        }
    }
}

impl StepSummary for Vec<NextAction> {
    fn summary(&self) -> String {
        self.as_slice().summary()
    }
}

impl StepSummary for AbmOutcome {
    fn summary(&self) -> String {
        match self {
            AbmOutcome::Available(answer) => match &answer.program_name {
                Some(program) => format!(
                    "{program} · {} · {} touches remaining",
                    answer.status.as_str(),
                    answer.touches_remaining
                ),
                None => "In no ABM program".to_owned(),
            },
            AbmOutcome::Unavailable(unavailable) => {
                format!("Unavailable: {}", unavailable.reason)
            }
        }
    }
}

impl StepSummary for CoordinatorBrief {
    fn summary(&self) -> String {
        format!("Brief stored · {} next actions", self.next_actions.len())
    }
}

/// `325,000`: an amount with thousands separators.
pub fn thousands(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    if value < 0 { format!("-{out}") } else { out }
}

/// `$910M`, `$4.2B`, `$850K`: an amount in dollars, short.
pub fn usd_short(value: i64) -> String {
    let v = value as f64;
    if v >= 1e9 {
        format!("${:.1}B", v / 1e9)
    } else if v >= 1e6 {
        format!("${:.0}M", v / 1e6)
    } else if v >= 1e3 {
        format!("${:.0}K", v / 1e3)
    } else {
        format!("${value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(325_000), "325,000");
        assert_eq!(thousands(-1_000), "-1,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(0), "0");
    }

    #[test]
    fn dollars_read_short() {
        assert_eq!(usd_short(4_200_000_000), "$4.2B");
        assert_eq!(usd_short(910_000_000), "$910M");
        assert_eq!(usd_short(850_000), "$850K");
        assert_eq!(usd_short(999), "$999");
    }

    #[test]
    fn next_actions_read_by_count() {
        let action = |name: &str| NextAction {
            priority: 1,
            action: name.to_owned(),
            reason: "why".to_owned(),
        };
        assert_eq!(Vec::<NextAction>::new().summary(), "no actions");
        assert_eq!(vec![action("Call")].summary(), "1 action: Call");
        assert_eq!(
            vec![action("Call"), action("Mail")].summary(),
            "2 actions · first: Call"
        );
    }
}
