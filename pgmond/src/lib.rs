//! The parts of `pgmond` that stand on their own, as a library: the history store, which its
//! benchmarks (`benches/`) drive directly. Everything else lives in the binary.

pub mod history;
