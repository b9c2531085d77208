//! A bar chart of commissions and payouts per month, as inline SVG with labelled axes.

use maud::{Markup, html};
use rust_decimal::Decimal;

/// One month: label, commissions and payouts (same currency).
#[derive(Debug, Clone)]
pub struct Bar {
    /// `2026-03`.
    pub label: String,
    /// Commissions of the month.
    pub commissions: Decimal,
    /// Completed payouts of the month.
    pub payouts: Decimal,
}

const WIDTH: i64 = 720;
const HEIGHT: i64 = 260;
const LEFT: i64 = 72;
const BOTTOM: i64 = 36;
const TOP: i64 = 16;

/// A "nice" axis maximum: 1, 2 or 5 × a power of ten, at least `max`.
fn nice_max(max: Decimal) -> Decimal {
    if max <= Decimal::ZERO {
        return Decimal::ONE;
    }
    let mut step = Decimal::ONE;
    while step * Decimal::TEN <= max {
        step *= Decimal::TEN;
    }
    while step > max {
        step /= Decimal::TEN;
    }
    for m in [Decimal::ONE, Decimal::TWO, Decimal::from(5), Decimal::TEN] {
        if step * m >= max {
            return step * m;
        }
    }
    step * Decimal::TEN
}

fn scale(v: Decimal, max: Decimal, span: i64) -> i64 {
    let r = (v.max(Decimal::ZERO) * Decimal::from(span) / max).round();
    i64::try_from(r.mantissa() / 10i128.pow(r.scale()))
        .unwrap_or(0)
        .clamp(0, span)
}

/// The chart; `currency` labels the axis.
pub fn bars(data: &[Bar], currency: &str) -> Markup {
    let max = nice_max(
        data.iter()
            .map(|b| b.commissions.max(b.payouts))
            .max()
            .unwrap_or(Decimal::ZERO),
    );
    let plot_h = HEIGHT - TOP - BOTTOM;
    let plot_w = WIDTH - LEFT - 8;
    let n = i64::try_from(data.len().max(1)).unwrap_or(1);
    let slot = plot_w / n;
    let bar = (slot / 3).clamp(2, 36);
    let ticks: Vec<Decimal> = (0..=4)
        .map(|i| max * Decimal::from(i) / Decimal::from(4))
        .collect();
    html! {
        svg class="chart" viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img"
            aria-label=(format!("Commissions and payouts per month, in {currency}")) {
            title { "Commissions and payouts per month (" (currency) ")" }
            @for t in &ticks {
                @let y = TOP + plot_h - scale(*t, max, plot_h);
                line class="grid" x1=(LEFT) x2=(WIDTH - 8) y1=(y) y2=(y) {}
                text class="axis" x=(LEFT - 6) y=(y + 4) text-anchor="end" { (crate::web::format::grouped(&t.normalize().to_string())) }
            }
            @for (i, b) in data.iter().enumerate() {
                @let x = LEFT + i64::try_from(i).unwrap_or(0) * slot + slot / 2 - bar;
                @let hc = scale(b.commissions, max, plot_h);
                @let hp = scale(b.payouts, max, plot_h);
                rect class="bar-commissions" x=(x) y=(TOP + plot_h - hc) width=(bar) height=(hc) {
                    title { (b.label) ": commissions " (b.commissions) " " (currency) }
                }
                rect class="bar-payouts" x=(x + bar) y=(TOP + plot_h - hp) width=(bar) height=(hp) {
                    title { (b.label) ": payouts " (b.payouts) " " (currency) }
                }
                text class="axis" x=(x + bar) y=(HEIGHT - BOTTOM + 16) text-anchor="middle" { (b.label) }
            }
            line class="axis-line" x1=(LEFT) x2=(WIDTH - 8) y1=(TOP + plot_h) y2=(TOP + plot_h) {}
        }
        p class="legend" {
            span class="swatch swatch-commissions" {} "Commissions "
            span class="swatch swatch-payouts" {} "Payouts"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_maximum_is_round() {
        assert_eq!(nice_max(Decimal::from(73)), Decimal::from(100));
        assert_eq!(nice_max(Decimal::from(120)), Decimal::from(200));
        assert_eq!(nice_max(Decimal::from(4_100)), Decimal::from(5_000));
        assert_eq!(nice_max(Decimal::ZERO), Decimal::ONE);
        assert_eq!(scale(Decimal::from(50), Decimal::from(100), 200), 100);
    }
}
