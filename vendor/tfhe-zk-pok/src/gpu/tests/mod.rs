//! Integration tests for zk-cuda-backend
//!
//! These tests verify that zk-cuda-backend produces correct results
//! by comparing against tfhe-zk-pok's CPU implementation.

mod prove_verify_stress;
mod zk_cuda_backend;
