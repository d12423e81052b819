//! Tracing subscriber set-up for the binaries.

use tracing_subscriber::{fmt, EnvFilter};

use crate::config::LogFormat;

/// arkworks' constraint-system spans (targets `gr1cs` and `r1cs`, at `info`)
/// record their arguments, whole constraint systems among them, with
/// `Debug`: with those spans on, the server's first-start Groth16 setup takes
/// many minutes instead of seconds. They stay off unless `RUST_LOG` names
/// them.
const QUIET_TARGETS: [&str; 2] = ["gr1cs", "r1cs"];

/// The filter for `spec` (`RUST_LOG`; `info` when absent or invalid), with
/// the [`QUIET_TARGETS`] it does not name turned off.
fn filter(spec: Option<&str>) -> EnvFilter {
    let spec = spec.unwrap_or("info");
    let mut filter = EnvFilter::try_new(spec).unwrap_or_else(|_| EnvFilter::new("info"));
    for target in QUIET_TARGETS {
        let named = spec
            .split(',')
            .any(|d| d.trim().split(['=', '[']).next() == Some(target));
        if !named {
            filter =
                filter.add_directive(format!("{target}=off").parse().expect("a valid directive"));
        }
    }
    filter
}

/// Installs a global subscriber (`RUST_LOG` filters; default `info`).
/// Does nothing when one is installed already (tests).
pub fn init(format: LogFormat) {
    let spec = std::env::var("RUST_LOG").ok();
    let builder = fmt()
        .with_env_filter(filter(spec.as_deref()))
        .with_writer(std::io::stderr);
    let _ = if format == LogFormat::Json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    fn enabled(spec: Option<&str>, check: impl FnOnce() -> bool) -> bool {
        let subscriber = fmt().with_env_filter(filter(spec)).finish();
        tracing::subscriber::with_default(subscriber, check)
    }

    #[test]
    fn arkworks_constraint_spans_are_off_unless_named() {
        for spec in [None, Some("info"), Some("debug"), Some("not a filter ===")] {
            assert!(
                !enabled(spec, || tracing::enabled!(target: "gr1cs", Level::INFO)),
                "{spec:?}"
            );
            assert!(
                !enabled(spec, || tracing::enabled!(target: "r1cs", Level::INFO)),
                "{spec:?}"
            );
            assert!(
                enabled(
                    spec,
                    || tracing::enabled!(target: "cipherpool_server", Level::INFO)
                ),
                "{spec:?}"
            );
        }
        assert!(!enabled(
            Some("warn"),
            || tracing::enabled!(target: "cipherpool_server", Level::INFO)
        ));
        // Asked for by name, they are on.
        assert!(enabled(
            Some("info,gr1cs=trace"),
            || tracing::enabled!(target: "gr1cs", Level::INFO)
        ));
        assert!(!enabled(
            Some("info,gr1cs=trace"),
            || tracing::enabled!(target: "r1cs", Level::INFO)
        ));
    }
}
