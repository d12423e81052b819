//! Privacy budgets: ε is accounted in fixed-point micro-units (`u64`) by the
//! server (purchases) and the keyholders (releases) alike.

/// Fixed-point unit of ε used for accounting: ε is held as micro-units (`u64`),
/// so `1 ε = 1_000_000`.
pub const EPSILON_UNIT: u64 = 1_000_000;

/// Largest ε accepted by [`epsilon_micro`], in whole units.
const MAX_EPSILON: f64 = 1_000_000.0;

/// An ε that is not finite, not positive, below one micro-unit or above `10^6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid epsilon: must be finite, at least 0.000001 and at most 1000000")]
pub struct EpsilonError;

/// Converts an ε given as `f64` (from the API or database) to micro units,
/// rounding down (less ε means more noise, which is conservative).
///
/// The `f64` is read as its shortest round-trip decimal form, i.e. the decimal
/// number the caller wrote (`0.29` is `0.29`, not the binary value
/// `0.28999999999999998…`), and that decimal is truncated after the sixth
/// fractional digit. So `0.1 → 100_000`, `0.1234567 → 123_456`, `1.0 → 1_000_000`.
///
/// # Errors
///
/// [`EpsilonError`] if `epsilon` is not finite, is `<= 0`,
/// rounds down to 0 micro-units, or is greater than `10^6`.
pub fn epsilon_micro(epsilon: f64) -> Result<u64, EpsilonError> {
    if !epsilon.is_finite() || epsilon <= 0.0 || epsilon > MAX_EPSILON {
        return Err(EpsilonError);
    }
    // `Display` for f64 prints the shortest decimal that round-trips and never
    // uses exponent notation, so the text is `digits[.digits]`.
    let text = format!("{epsilon}");
    let (int_part, frac_part) = text.split_once('.').unwrap_or((text.as_str(), ""));
    let whole: u64 = int_part.parse().map_err(|_| EpsilonError)?;
    let mut micro = whole.checked_mul(EPSILON_UNIT).ok_or(EpsilonError)?;
    let mut place = EPSILON_UNIT / 10;
    for ch in frac_part.chars().take(6) {
        let digit = ch.to_digit(10).ok_or(EpsilonError)?;
        micro += u64::from(digit) * place;
        place /= 10;
    }
    if micro == 0 {
        return Err(EpsilonError);
    }
    Ok(micro)
}

/// Micro-units of ε back as an `f64` (for display and the API).
pub fn epsilon_f64(micro: u64) -> f64 {
    micro as f64 / EPSILON_UNIT as f64
}

/// A privacy budget ε, held exactly as micro-units: what the API's `f64`
/// means once parsed ([`Epsilon::parse`] rounds down, as [`epsilon_micro`]),
/// and what is stored, compared, added and subtracted (in integers, so
/// budgets never drift).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Epsilon(u64);

impl Epsilon {
    /// Parses an ε from the API or the database (see [`epsilon_micro`]).
    pub fn parse(epsilon: f64) -> Result<Self, EpsilonError> {
        epsilon_micro(epsilon).map(Self)
    }

    /// ε from stored micro-units (0 is no budget at all).
    pub fn from_micro(micro: u64) -> Self {
        Self(micro)
    }

    /// Micro-units.
    pub fn micro(self) -> u64 {
        self.0
    }

    /// ε as a number, for display and the API.
    pub fn as_f64(self) -> f64 {
        epsilon_f64(self.0)
    }

    /// What is left of `self` once `spent` is spent (none when it exceeds it).
    pub fn remaining(self, spent: Epsilon) -> Epsilon {
        Self(self.0.saturating_sub(spent.0))
    }
}

impl std::fmt::Display for Epsilon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.as_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_epsilon_is_its_micro_units() {
        let e = Epsilon::parse(0.29).unwrap();
        assert_eq!(e.micro(), 290_000);
        assert_eq!(e.as_f64(), 0.29);
        assert_eq!(e.to_string(), "0.29");
        assert_eq!(Epsilon::from_micro(1_000_000).as_f64(), 1.0);
        let budget = Epsilon::parse(1.0).unwrap();
        assert_eq!(budget.remaining(e), Epsilon::parse(0.71).unwrap());
        assert_eq!(e.remaining(budget), Epsilon::from_micro(0));
        assert!(Epsilon::parse(0.0).is_err());
        assert!(e < budget);
    }

    #[test]
    fn epsilon_micro_rounds_down() {
        assert_eq!(epsilon_micro(0.1), Ok(100_000));
        assert_eq!(epsilon_micro(1.0), Ok(1_000_000));
        assert_eq!(epsilon_micro(0.29), Ok(290_000));
        assert_eq!(epsilon_micro(0.3), Ok(300_000));
        assert_eq!(epsilon_micro(0.000001), Ok(1));
        assert_eq!(epsilon_micro(0.1234567), Ok(123_456));
        assert_eq!(epsilon_micro(0.0000019), Ok(1));
        assert_eq!(epsilon_micro(2.5), Ok(2_500_000));
        assert_eq!(epsilon_micro(1e6), Ok(1_000_000 * EPSILON_UNIT));
    }

    #[test]
    fn epsilon_micro_rejects_invalid() {
        for bad in [
            1e-7,
            0.0000009,
            0.0,
            -0.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e6 + 1.0,
            f64::MIN_POSITIVE,
        ] {
            assert_eq!(epsilon_micro(bad), Err(EpsilonError), "{bad}");
        }
    }
}
