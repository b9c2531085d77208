//! Size profiles: how much data the bench loads, and how long it measures each figure.

use std::time::Duration;

use clap::ValueEnum;
use serde::Serialize;

/// The named profiles of `--profile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProfileName {
    /// 130,000 events; about 5 minutes on 2 cores.
    Small,
    /// 10 million events, one partner with 1 million of them.
    Large,
}

/// Every size the bench uses.
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    pub name: &'static str,
    /// Partners of the main tenant, the big and the reference partner included.
    pub partners: usize,
    /// Customers attributed to each ordinary partner.
    pub customers_per_partner: usize,
    /// Customers attributed to the big partner.
    pub big_customers: usize,
    /// Commission events loaded into the main tenant, in total.
    pub events: u64,
    /// Events of the big partner (metrics at scale, deep pages).
    pub big_events: u64,
    /// Events of the reference partner (metrics at the small scale).
    pub reference_events: u64,
    /// Partners of the payout tenant.
    pub payout_partners: usize,
    /// Approved commissions of each payout partner.
    pub payout_events_per_partner: u64,
    /// Payments sent per ingestion run, through the use case and again through HTTP.
    pub ingest_sample: usize,
    /// Rows skipped by the deep commission page.
    pub deep_offset: u64,
    /// At most this many sequential requests per latency figure and run…
    pub latency_samples: usize,
    /// …or as many as fit in this time (at least [`MIN_LATENCY_SAMPLES`]).
    #[serde(serialize_with = "seconds")]
    pub latency_budget: Duration,
    /// Length of each 64-connection load.
    #[serde(serialize_with = "seconds")]
    pub load_duration: Duration,
    /// Warm-up before each load.
    #[serde(serialize_with = "seconds")]
    pub warmup: Duration,
}

/// Fewest sequential samples of a latency figure, whatever the time budget.
pub const MIN_LATENCY_SAMPLES: usize = 20;

/// Concurrent connections of the HTTP load.
pub const LOAD_CONNECTIONS: usize = 64;

/// Payments per ingestion batch.
pub const BATCH: usize = 1_000;

/// Rows per commission page.
pub const PAGE: u64 = 100;

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl Profile {
    /// The sizes of a named profile.
    pub fn of(name: ProfileName) -> Profile {
        match name {
            ProfileName::Small => Profile {
                name: "small",
                partners: 200,
                customers_per_partner: 3,
                big_customers: 40,
                events: 120_000,
                big_events: 100_000,
                reference_events: 10_000,
                payout_partners: 100,
                payout_events_per_partner: 100,
                ingest_sample: 10_000,
                // The big partner holds 100,000 rows and a little more from the ingestion
                // runs: the last full page.
                deep_offset: 99_900,
                latency_samples: 200,
                latency_budget: Duration::from_secs(1),
                load_duration: Duration::from_secs(3),
                warmup: Duration::from_millis(500),
            },
            ProfileName::Large => Profile {
                name: "large",
                partners: 10_000,
                customers_per_partner: 3,
                big_customers: 200,
                events: 10_000_000,
                big_events: 1_000_000,
                reference_events: 10_000,
                payout_partners: 1_000,
                payout_events_per_partner: 100,
                ingest_sample: 100_000,
                deep_offset: 100_000,
                latency_samples: 1_000,
                latency_budget: Duration::from_secs(5),
                load_duration: Duration::from_secs(10),
                warmup: Duration::from_secs(2),
            },
        }
    }

    /// Events of each ordinary partner (partners 2…): the rest, shared out evenly.
    pub fn ordinary_events(&self, index: usize) -> u64 {
        let ordinary = self.partners.saturating_sub(2) as u64;
        if ordinary == 0 {
            return 0;
        }
        let rest = self
            .events
            .saturating_sub(self.big_events + self.reference_events);
        rest / ordinary + u64::from((index as u64 - 2) < rest % ordinary)
    }

    /// How many times more events the big partner has than the reference partner.
    pub fn growth(&self) -> f64 {
        self.big_events as f64 / self.reference_events.max(1) as f64
    }

    /// Commissions of the payout run.
    pub fn payout_events(&self) -> u64 {
        self.payout_partners as u64 * self.payout_events_per_partner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_add_up() {
        for name in [ProfileName::Small, ProfileName::Large] {
            let p = Profile::of(name);
            let ordinary: u64 = (2..p.partners).map(|i| p.ordinary_events(i)).sum();
            assert_eq!(ordinary + p.big_events + p.reference_events, p.events);
            assert!(p.deep_offset + PAGE <= p.big_events);
        }
        let large = Profile::of(ProfileName::Large);
        assert_eq!(large.growth(), 100.0);
        assert_eq!(large.payout_events(), 100_000);
        assert_eq!(large.partners, 10_000);
    }
}
