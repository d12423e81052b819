//! The BN254 scalar field `Fr` and its canonical byte and hex encodings.

use ark_ff::{BigInteger, PrimeField};
use ark_serialize::CanonicalDeserialize;

use super::AttestationError;

/// The scalar field of BN254, in which the attestation circuit is expressed.
pub type Fr = ark_bn254::Fr;

/// Length in bytes of an encoded field element.
pub const FR_BYTES: usize = 32;

/// Canonical little-endian encoding of a field element (identical to ark-serialize's
/// compressed encoding of `Fr`).
pub fn fr_to_bytes(x: &Fr) -> [u8; FR_BYTES] {
    let le = x.into_bigint().to_bytes_le();
    let mut out = [0u8; FR_BYTES];
    // `to_bytes_le` of a 4-limb big integer is exactly 32 bytes; `zip` keeps this panic-free.
    for (o, b) in out.iter_mut().zip(le) {
        *o = b;
    }
    out
}

/// Decodes a field element from exactly 32 canonical little-endian bytes.
///
/// Rejects any other length and any value not below the field modulus (so every
/// field element has exactly one accepted encoding).
pub fn fr_from_bytes(b: &[u8]) -> Result<Fr, AttestationError> {
    if b.len() != FR_BYTES {
        return Err(AttestationError::NonCanonicalField);
    }
    let mut reader = b;
    let x =
        Fr::deserialize_compressed(&mut reader).map_err(|_| AttestationError::NonCanonicalField)?;
    if !reader.is_empty() {
        return Err(AttestationError::NonCanonicalField);
    }
    Ok(x)
}

/// Lower-case hex of [`fr_to_bytes`] (64 characters), the JSON form of field elements.
pub fn fr_to_hex(x: &Fr) -> String {
    hex::encode(fr_to_bytes(x))
}

/// Decodes the output of [`fr_to_hex`]; rejects bad hex and non-canonical values.
pub fn fr_from_hex(s: &str) -> Result<Fr, AttestationError> {
    let bytes = hex::decode(s).map_err(|_| AttestationError::InvalidHex)?;
    fr_from_bytes(&bytes)
}

/// Serde support for one field element as its [`fr_to_hex`] string
/// (`#[serde(with = "serde_fr")]`).
pub(crate) mod serde_fr {
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    use super::{fr_from_hex, fr_to_hex, Fr};

    pub(crate) fn serialize<S: Serializer>(x: &Fr, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&fr_to_hex(x))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Fr, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        fr_from_hex(&s).map_err(D::Error::custom)
    }
}

/// Serde support for a list of field elements as a list of [`fr_to_hex`] strings.
pub(crate) mod serde_fr_vec {
    use serde::{de::Error as _, ser::SerializeSeq, Deserialize, Deserializer, Serializer};

    use super::{fr_from_hex, fr_to_hex, Fr};

    pub(crate) fn serialize<S: Serializer>(xs: &[Fr], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(xs.len()))?;
        for x in xs {
            seq.serialize_element(&fr_to_hex(x))?;
        }
        seq.end()
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Fr>, D::Error> {
        let strings = <Vec<std::borrow::Cow<'de, str>>>::deserialize(d)?;
        strings
            .iter()
            .map(|s| fr_from_hex(s).map_err(D::Error::custom))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_serialize::CanonicalSerialize;

    #[test]
    fn bytes_round_trip_and_match_ark_serialize() {
        for x in [
            Fr::from(0u64),
            Fr::from(1u64),
            -Fr::from(1u64),
            Fr::from(u64::MAX),
        ] {
            let b = fr_to_bytes(&x);
            let mut ark = Vec::new();
            x.serialize_compressed(&mut ark).unwrap();
            assert_eq!(ark, b.to_vec());
            assert_eq!(fr_from_bytes(&b).unwrap(), x);
            assert_eq!(fr_from_hex(&fr_to_hex(&x)).unwrap(), x);
        }
    }

    #[test]
    fn rejects_non_canonical_and_wrong_length() {
        // p - 1 is canonical; p itself, and anything with the top bits set, is not.
        let mut p = Fr::MODULUS.to_bytes_le();
        assert_eq!(p.len(), FR_BYTES);
        assert_eq!(fr_from_bytes(&p), Err(AttestationError::NonCanonicalField));
        p[0] -= 1;
        assert_eq!(fr_from_bytes(&p).unwrap(), -Fr::from(1u64));
        assert!(fr_from_bytes(&[0xff; 32]).is_err());
        let mut top = [0u8; 32];
        top[31] = 0x80;
        assert!(fr_from_bytes(&top).is_err());
        assert!(fr_from_bytes(&[0u8; 31]).is_err());
        assert!(fr_from_bytes(&[0u8; 33]).is_err());
        assert!(fr_from_bytes(&[]).is_err());
        assert_eq!(fr_from_hex("zz"), Err(AttestationError::InvalidHex));
    }
}
