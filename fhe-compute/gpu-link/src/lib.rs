//! `cipherpool_bench_main(argc, argv)`: the statistics benchmark behind a C
//! ABI. `scripts/gpu-bench` builds this crate here as a static library
//! (`cargo rustc --crate-type staticlib --features gpu`) and links it on the
//! GPU machine, which has CUDA but no Rust toolchain, against tfhe's CUDA
//! backend compiled there.

use std::ffi::{c_char, c_int, CStr};

/// Runs `cipherpool_fhe_compute::stats::bench::main_with_args`.
///
/// # Safety
/// `argv` must point to `argc` valid NUL-terminated strings, as `main` gets them.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cipherpool_bench_main(argc: c_int, argv: *const *const c_char) -> c_int {
    let args: Vec<String> = (0..argc.max(0) as usize)
        // SAFETY: the caller passes main's argc/argv.
        .map(|i| {
            unsafe { CStr::from_ptr(*argv.add(i)) }
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    fhe_compute::stats::bench::main_with_args(&args)
}
