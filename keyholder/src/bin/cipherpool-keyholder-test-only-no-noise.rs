//! TEST-ONLY keyholder whose releases carry NO differential-privacy noise,
//! so end-to-end tests can compare released values with plaintext. Built
//! only with the `test-only-no-noise` feature (the test crate enables it);
//! never deploy it.

fn main() -> anyhow::Result<()> {
    cipherpool_keyholder::serve(cipherpool_keyholder::Keyholder::build_without_noise)
}
