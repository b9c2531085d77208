//! The four commission models and how each turns a payment into an amount.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::ValidationError;
use crate::value::{Money, Rate};

/// Most tiers one tiered model may have.
pub const MAX_TIERS: usize = 32;

/// One step of a tiered model: from `min_volume` (inclusive) of monthly volume, `rate` applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierRate {
    /// Monthly paid volume, in the payment's currency, from which this tier applies.
    #[serde(with = "rust_decimal::serde::str")]
    pub min_volume: Decimal,
    /// Rate applied to the whole payment.
    pub rate: Rate,
}

/// How a commission is computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum CommissionModel {
    /// `amount × rate`.
    RevenueShare {
        /// The share.
        rate: Rate,
    },
    /// A fixed fee per payment, in the fee's currency only (no FX).
    FlatFee {
        /// The fee.
        fee: Money,
    },
    /// The rate of the highest tier reached by the month's volume before this payment.
    Tiered {
        /// Tiers in strictly ascending `min_volume`, the first at zero.
        tiers: Vec<TierRate>,
    },
    /// `fee + amount × rate`.
    Hybrid {
        /// The fixed part.
        fee: Money,
        /// The share.
        rate: Rate,
    },
}

/// The kind of a model, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// See [`CommissionModel::RevenueShare`].
    RevenueShare,
    /// See [`CommissionModel::FlatFee`].
    FlatFee,
    /// See [`CommissionModel::Tiered`].
    Tiered,
    /// See [`CommissionModel::Hybrid`].
    Hybrid,
}

impl ModelKind {
    /// Stored name.
    pub fn name(&self) -> &'static str {
        match self {
            ModelKind::RevenueShare => "revenue_share",
            ModelKind::FlatFee => "flat_fee",
            ModelKind::Tiered => "tiered",
            ModelKind::Hybrid => "hybrid",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        match s {
            "revenue_share" => Ok(ModelKind::RevenueShare),
            "flat_fee" => Ok(ModelKind::FlatFee),
            "tiered" => Ok(ModelKind::Tiered),
            "hybrid" => Ok(ModelKind::Hybrid),
            _ => Err(ValidationError::new(
                "model",
                format!("{s:?} is not one of revenue_share, flat_fee, tiered, hybrid"),
            )),
        }
    }
}

impl CommissionModel {
    /// A tiered model; tiers must be non-empty, at most [`MAX_TIERS`], strictly ascending,
    /// starting at a volume of zero, with non-negative volumes.
    pub fn tiered(tiers: Vec<TierRate>) -> Result<Self, ValidationError> {
        if tiers.is_empty() || tiers.len() > MAX_TIERS {
            return Err(ValidationError::new(
                "tiers",
                format!("must have 1 to {MAX_TIERS} tiers"),
            ));
        }
        if tiers[0].min_volume != Decimal::ZERO {
            return Err(ValidationError::new(
                "tiers",
                "the first tier must start at min_volume 0",
            ));
        }
        if !tiers.windows(2).all(|w| w[0].min_volume < w[1].min_volume) {
            return Err(ValidationError::new(
                "tiers",
                "min_volume must be strictly ascending",
            ));
        }
        Ok(CommissionModel::Tiered { tiers })
    }

    /// The kind of this model.
    pub fn kind(&self) -> ModelKind {
        match self {
            CommissionModel::RevenueShare { .. } => ModelKind::RevenueShare,
            CommissionModel::FlatFee { .. } => ModelKind::FlatFee,
            CommissionModel::Tiered { .. } => ModelKind::Tiered,
            CommissionModel::Hybrid { .. } => ModelKind::Hybrid,
        }
    }

    /// The fixed fee of flat and hybrid models.
    pub fn fee(&self) -> Option<Money> {
        match self {
            CommissionModel::FlatFee { fee } | CommissionModel::Hybrid { fee, .. } => Some(*fee),
            _ => None,
        }
    }

    /// True when the amount depends on the partner's monthly volume.
    pub fn needs_volume(&self) -> bool {
        matches!(self, CommissionModel::Tiered { .. })
    }

    /// The rate that applies at a monthly volume (tiered) or the model's rate.
    pub fn rate_at(&self, volume_before: Decimal) -> Option<Rate> {
        match self {
            CommissionModel::RevenueShare { rate } | CommissionModel::Hybrid { rate, .. } => {
                Some(*rate)
            }
            CommissionModel::FlatFee { .. } => None,
            CommissionModel::Tiered { tiers } => tiers
                .iter()
                .rev()
                .find(|t| t.min_volume <= volume_before)
                .map(|t| t.rate),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn tier(v: Decimal, r: &str) -> TierRate {
        TierRate {
            min_volume: v,
            rate: Rate::parse(r).unwrap(),
        }
    }

    #[test]
    fn tier_boundaries_are_inclusive() {
        let m = CommissionModel::tiered(vec![
            tier(dec!(0), "0.1"),
            tier(dec!(1000), "0.15"),
            tier(dec!(5000), "0.2"),
        ])
        .unwrap();
        assert_eq!(m.rate_at(dec!(999.99)).unwrap().to_string(), "0.1");
        assert_eq!(m.rate_at(dec!(1000)).unwrap().to_string(), "0.15");
        assert_eq!(m.rate_at(dec!(5000)).unwrap().to_string(), "0.2");
        assert_eq!(m.rate_at(dec!(1000000)).unwrap().to_string(), "0.2");
    }

    #[test]
    fn malformed_tiers_are_refused() {
        assert!(CommissionModel::tiered(vec![]).is_err());
        assert!(CommissionModel::tiered(vec![tier(dec!(10), "0.1")]).is_err());
        assert!(CommissionModel::tiered(vec![tier(dec!(0), "0.1"), tier(dec!(0), "0.2")]).is_err());
        assert!(
            CommissionModel::tiered(vec![tier(dec!(0), "0.1"), tier(dec!(-5), "0.2")]).is_err()
        );
    }
}
