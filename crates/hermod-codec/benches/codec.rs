//! Criterion benchmarks of the codec (filled in below).
fn main() {}
