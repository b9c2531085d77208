//! `Rate` (SPEC §3a: rates 0–1 with at most 6 decimals, stored as millionths).

use proptest::prelude::*;
use revshare_domain::value::Rate;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn any_micros_round_trip(micros in 0i64..=1_000_000) {
        let r = Rate::from_micros(micros).unwrap();
        prop_assert_eq!(r.micros(), micros);
        // Through its display form.
        let back = Rate::parse(&r.to_string()).unwrap();
        prop_assert_eq!(back, r);
        prop_assert_eq!(back.micros(), micros);
        // Through a fixed six-decimal form ("0.150000").
        let fixed = format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000);
        prop_assert_eq!(Rate::parse(&fixed).unwrap(), r);
        // Through JSON.
        let json = serde_json::to_string(&r).unwrap();
        prop_assert_eq!(serde_json::from_str::<Rate>(&json).unwrap(), r);
        // The exact value is micros / 10^6.
        prop_assert_eq!(r.value(), rust_decimal::Decimal::new(micros, 6));
    }

    #[test]
    fn out_of_range_or_too_precise_is_refused(
        above in 1_000_001i64..=i64::MAX / 2,
        below in i64::MIN / 2..=-1,
        micros in 0i64..1_000_000,
        seventh in 1u32..=9,
    ) {
        prop_assert!(Rate::from_micros(above).is_err());
        prop_assert!(Rate::from_micros(below).is_err());
        // A seventh non-zero decimal is refused.
        let text = format!("0.{micros:06}{seventh}");
        prop_assert!(Rate::parse(&text).is_err(), "{} accepted", text);
    }
}
