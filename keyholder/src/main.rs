//! `cipherpool-keyholder`: the decryption authority as its own process.
//! Every release it makes carries differential-privacy noise; there is no
//! setting that turns it off.

fn main() -> anyhow::Result<()> {
    if std::env::var_os("CIPHERPOOL_KEYHOLDER_TEST_ONLY_DISABLE_NOISE").is_some() {
        anyhow::bail!(
            "CIPHERPOOL_KEYHOLDER_TEST_ONLY_DISABLE_NOISE is set, but this keyholder always adds \
             noise; releases without noise exist only in the test build \
             (cipherpool-keyholder-test-only-no-noise)"
        );
    }
    cipherpool_keyholder::serve(cipherpool_keyholder::Keyholder::build)
}
