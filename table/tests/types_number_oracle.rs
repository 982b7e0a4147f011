//! Property tests: `Number` parsing, printing, ordering, addition and the sortable encoding
//! against an arbitrary-precision oracle (num-bigint). Failures print the proptest seed
//! and the minimal input; rerun with `PROPTEST_SEED`-style replay from the persisted file.

use std::cmp::Ordering;

use num_bigint::BigInt;
use proptest::prelude::*;
use shale_table::types::{Number, TypeError};

/// An exact decimal `mantissa × 10^exponent`, normalized like `Number`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Oracle {
    mantissa: BigInt,
    exponent: i64,
}

impl Oracle {
    fn new(mut mantissa: BigInt, mut exponent: i64) -> Oracle {
        let ten = BigInt::from(10);
        let zero = BigInt::from(0);
        if mantissa == zero {
            return Oracle {
                mantissa,
                exponent: 0,
            };
        }
        while &mantissa % &ten == zero {
            mantissa /= &ten;
            exponent += 1;
        }
        Oracle { mantissa, exponent }
    }

    fn digits(&self) -> usize {
        self.mantissa.magnitude().to_string().len()
    }

    /// What `Number` must do with this value.
    fn expected(&self) -> Result<String, TypeError> {
        if self.mantissa == BigInt::from(0) {
            return Ok("0".to_string());
        }
        let scientific = self.exponent + self.digits() as i64 - 1;
        if scientific > 125 {
            return Err(TypeError::NumberOverflow);
        }
        if scientific < -130 {
            return Err(TypeError::NumberUnderflow);
        }
        if self.digits() > 38 {
            return Err(TypeError::NumberPrecision {
                digits: self.digits(),
            });
        }
        Ok(self.plain())
    }

    fn plain(&self) -> String {
        let digits = self.mantissa.magnitude().to_string();
        let sign = if self.mantissa < BigInt::from(0) {
            "-"
        } else {
            ""
        };
        let count = digits.len() as i64;
        let body = if self.exponent >= 0 {
            format!("{digits}{}", "0".repeat(self.exponent as usize))
        } else if -self.exponent < count {
            let split = (count + self.exponent) as usize;
            format!("{}.{}", &digits[..split], &digits[split..])
        } else {
            format!(
                "0.{}{digits}",
                "0".repeat((-self.exponent - count) as usize)
            )
        };
        format!("{sign}{body}")
    }

    fn scaled(&self, exponent: i64) -> BigInt {
        &self.mantissa * BigInt::from(10).pow((self.exponent - exponent) as u32)
    }

    fn cmp(&self, other: &Oracle) -> Ordering {
        let low = self.exponent.min(other.exponent);
        self.scaled(low).cmp(&other.scaled(low))
    }

    fn add(&self, other: &Oracle) -> Oracle {
        let low = self.exponent.min(other.exponent);
        Oracle::new(self.scaled(low) + other.scaled(low), low)
    }
}

/// Number text in the forms DynamoDB accepts, and the oracle value it denotes.
fn number_text() -> impl Strategy<Value = (String, Oracle)> {
    (
        prop_oneof![Just(""), Just("-"), Just("+")],
        "[0-9]{0,3}",
        "[0-9]{1,40}",
        0usize..=45,
        prop_oneof![Just(None), (-170i64..170).prop_map(Some)],
        any::<bool>(),
    )
        .prop_map(
            |(sign, leading_zeros_seed, digits, point, exponent, upper_e)| {
                let leading = "0".repeat(leading_zeros_seed.len());
                let all = format!("{leading}{digits}");
                let point = point.min(all.len());
                let (int_part, frac_part) = all.split_at(point);
                let mut text = format!("{sign}{int_part}");
                if !frac_part.is_empty() {
                    text.push('.');
                    text.push_str(frac_part);
                }
                if let Some(exponent) = exponent {
                    text.push(if upper_e { 'E' } else { 'e' });
                    text.push_str(&exponent.to_string());
                }
                let mantissa: BigInt = all.parse().unwrap();
                let mantissa = if sign == "-" { -mantissa } else { mantissa };
                let oracle = Oracle::new(mantissa, exponent.unwrap_or(0) - frac_part.len() as i64);
                (text, oracle)
            },
        )
}

/// Valid numbers with their oracle values.
fn valid_number() -> impl Strategy<Value = (Number, Oracle)> {
    (any::<bool>(), "[1-9][0-9]{0,37}", -150i64..100).prop_filter_map(
        "out of range",
        |(negative, digits, exponent)| {
            let text = format!("{}{digits}e{exponent}", if negative { "-" } else { "" });
            let number = Number::parse(&text).ok()?;
            let mantissa: BigInt = digits.parse().unwrap();
            Some((
                number,
                Oracle::new(if negative { -mantissa } else { mantissa }, exponent),
            ))
        },
    )
}

fn encoded(number: &Number) -> Vec<u8> {
    let mut out = Vec::new();
    number.encode_sortable(&mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parsing_and_printing_match_the_oracle((text, oracle) in number_text()) {
        let parsed = Number::parse(&text).map(|n| n.to_string());
        prop_assert_eq!(parsed, oracle.expected(), "text {}", text);
    }

    #[test]
    fn printed_numbers_parse_back_to_themselves((number, _) in valid_number()) {
        prop_assert_eq!(Number::parse(&number.to_string()), Ok(number));
    }

    #[test]
    fn ordering_matches_the_oracle((a, oa) in valid_number(), (b, ob) in valid_number()) {
        prop_assert_eq!(a.cmp(&b), oa.cmp(&ob));
        prop_assert_eq!(a == b, oa == ob);
    }

    #[test]
    fn sortable_bytes_order_like_numbers_and_roundtrip((a, _) in valid_number(), (b, _) in valid_number()) {
        let (ea, eb) = (encoded(&a), encoded(&b));
        prop_assert_eq!(ea.cmp(&eb), a.cmp(&b));
        let mut with_tail = ea.clone();
        with_tail.extend_from_slice(&[0x00, 0xFF, 0x42]);
        prop_assert_eq!(Number::decode_sortable(&with_tail), Ok((a, ea.len())));
    }

    #[test]
    fn addition_and_subtraction_are_exact((a, oa) in valid_number(), (b, ob) in valid_number()) {
        let sum = a.checked_add(&b).map(|n| n.to_string());
        prop_assert_eq!(sum, oa.add(&ob).expected());
        let negated_b = Oracle::new(-ob.mantissa.clone(), ob.exponent);
        let difference = a.checked_sub(&b).map(|n| n.to_string());
        prop_assert_eq!(difference, oa.add(&negated_b).expected());
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..48)) {
        if let Ok((number, used)) = Number::decode_sortable(&bytes) {
            prop_assert_eq!(encoded(&number), bytes[..used].to_vec(), "only canonical bytes decode");
        }
    }
}
