//! `bench-stats [records]`: the statistics engine benchmark (see
//! `cipherpool_fhe_compute::stats::bench` and the README).

fn main() {
    let args: Vec<String> = std::env::args().collect();
    std::process::exit(cipherpool_fhe_compute::stats::bench::main_with_args(&args));
}
