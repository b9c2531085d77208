//! Commission terms in JSON, both ways.

use revshare_domain::ValidationError;
use revshare_domain::terms::{CommissionModel, TierRate};
use revshare_domain::value::{Currency, Money, Rate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::dto::AmountText;

/// One tier: from `min_volume` of monthly volume (inclusive), `rate` applies.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierDto {
    /// Decimal string.
    pub min_volume: String,
    /// Decimal string, 0–1.
    pub rate: String,
}

/// A commission model: `revenue_share` (rate), `flat_fee` (fee + currency), `tiered` (tiers),
/// `hybrid` (fee + currency + rate).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"model": "hybrid", "fee": "5.00", "currency": "USD", "rate": "0.10"}))]
pub struct TermsDto {
    /// `revenue_share`, `flat_fee`, `tiered` or `hybrid`.
    pub model: String,
    /// Rate as a decimal string (`"0.15"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<String>,
    /// Fixed fee as a decimal string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<String>,
    /// Currency of the fee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Tiers, ascending, the first at 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<Vec<TierDto>>,
}

fn need<'a>(v: &'a Option<String>, field: &str) -> Result<&'a str, ValidationError> {
    v.as_deref()
        .ok_or_else(|| ValidationError::new(field, "is required for this model"))
}

impl TermsDto {
    /// The domain model; every field is checked.
    pub fn to_model(&self) -> Result<CommissionModel, ValidationError> {
        let fee = || -> Result<Money, ValidationError> {
            let c = Currency::parse(need(&self.currency, "currency")?)?;
            Money::parse(need(&self.fee, "fee")?, c).map_err(|e| e.for_field("fee"))
        };
        let rate = || Rate::parse(need(&self.rate, "rate")?);
        match self.model.as_str() {
            "revenue_share" => Ok(CommissionModel::RevenueShare { rate: rate()? }),
            "flat_fee" => Ok(CommissionModel::FlatFee { fee: fee()? }),
            "hybrid" => Ok(CommissionModel::Hybrid {
                fee: fee()?,
                rate: rate()?,
            }),
            "tiered" => {
                let tiers = self
                    .tiers
                    .as_ref()
                    .ok_or_else(|| ValidationError::new("tiers", "is required for this model"))?;
                let parsed = tiers
                    .iter()
                    .map(|t| {
                        let v = AmountText::parse_decimal(&t.min_volume)
                            .map_err(|m| ValidationError::new("tiers", m))?;
                        Ok(TierRate {
                            min_volume: v,
                            rate: Rate::parse(&t.rate)?,
                        })
                    })
                    .collect::<Result<Vec<_>, ValidationError>>()?;
                CommissionModel::tiered(parsed)
            }
            other => Err(ValidationError::new(
                "model",
                format!("{other:?} is not revenue_share, flat_fee, tiered or hybrid"),
            )),
        }
    }

    /// The JSON form of a model.
    pub fn from_model(m: &CommissionModel) -> Self {
        let fee = m.fee();
        TermsDto {
            model: m.kind().name().to_owned(),
            rate: match m {
                CommissionModel::RevenueShare { rate } | CommissionModel::Hybrid { rate, .. } => {
                    Some(rate.to_string())
                }
                _ => None,
            },
            fee: fee.map(|f| f.to_plain_string()),
            currency: fee.map(|f| f.currency().code().to_owned()),
            tiers: match m {
                CommissionModel::Tiered { tiers } => Some(
                    tiers
                        .iter()
                        .map(|t| TierDto {
                            min_volume: t.min_volume.to_string(),
                            rate: t.rate.to_string(),
                        })
                        .collect(),
                ),
                _ => None,
            },
        }
    }
}
