//! Pro-rata refund arithmetic: refunds of a payment never net more than its commission,
//! and a full refund nets exactly to zero.

use rust_decimal::Decimal;

use crate::error::ValidationError;
use crate::value::Money;

/// What is already known of a payment's refunds.
#[derive(Debug, Clone, Copy)]
pub struct RefundState {
    /// The payment amount.
    pub payment: Money,
    /// The payment's commission (positive).
    pub commission: Money,
    /// Sum of earlier accepted refunds of the payment.
    pub refunded: Money,
    /// Sum of earlier refund adjustments, as a positive amount.
    pub adjusted: Money,
}

impl RefundState {
    /// The positive adjustment a new refund takes from the commission:
    /// `round(commission × refund / payment)`, clamped to what is left, and exactly what is
    /// left when the refund completes the payment. Refuses a refund beyond the payment.
    pub fn adjustment_for(&self, refund: Money) -> Result<Money, ValidationError> {
        let currency = self.commission.currency();
        let left_to_refund = self.payment.amount() - self.refunded.amount();
        if !refund.is_positive() {
            return Err(ValidationError::new(
                "amount",
                "a refund must be greater than zero",
            ));
        }
        if refund.amount() > left_to_refund {
            return Err(ValidationError::new(
                "amount",
                format!("refund {refund} exceeds what is left of the payment ({left_to_refund})"),
            ));
        }
        let left_of_commission =
            (self.commission.amount() - self.adjusted.amount()).max(Decimal::ZERO);
        if refund.amount() == left_to_refund {
            return Money::from_decimal(left_of_commission, currency);
        }
        // Division last keeps the product exact; rust_decimal carries 28 digits.
        let exact = self.commission.amount() * refund.amount() / self.payment.amount();
        let rounded = Money::round(exact, currency)?;
        Money::from_decimal(rounded.amount().min(left_of_commission), currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Currency;

    fn usd(s: &str) -> Money {
        Money::parse(s, Currency::USD).unwrap()
    }

    #[test]
    fn pro_rata_then_remainder() {
        let mut st = RefundState {
            payment: usd("300.00"),
            commission: usd("10.00"),
            refunded: usd("0"),
            adjusted: usd("0"),
        };
        let a = st.adjustment_for(usd("100.00")).unwrap();
        assert_eq!(a, usd("3.33"));
        st.refunded = usd("100.00");
        st.adjusted = a;
        let b = st.adjustment_for(usd("100.00")).unwrap();
        assert_eq!(b, usd("3.33"));
        st.refunded = usd("200.00");
        st.adjusted = usd("6.66");
        // The completing refund takes exactly what is left: 3.34, not 3.33.
        assert_eq!(st.adjustment_for(usd("100.00")).unwrap(), usd("3.34"));
        st.refunded = usd("300.00");
        st.adjusted = usd("10.00");
        assert!(st.adjustment_for(usd("0.01")).is_err());
    }

    #[test]
    fn refund_beyond_payment_is_refused() {
        let st = RefundState {
            payment: usd("50.00"),
            commission: usd("5.00"),
            refunded: usd("0"),
            adjusted: usd("0"),
        };
        assert!(st.adjustment_for(usd("50.01")).is_err());
        assert_eq!(st.adjustment_for(usd("50.00")).unwrap(), usd("5.00"));
    }
}
