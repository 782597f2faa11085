//! The memory floor: one read pass over the benchmark matrices, summing every value, on 1 and 2
//! threads.
//!
//! `cargo bench --bench memory_floor`. No kernel that must look at every value of a matrix once
//! can beat this time, so a kernel's time divided by this one says how far it is from the
//! machine's limit (a fit that makes ten passes cannot be faster than ten of these). Criterion
//! prints the throughput of each case (bytes read per second); docs/benchmarks.md states the
//! floor in GB/s next to the kernel tables.
//!
//! Shapes: 371,589 x 42 (study 004's telco table, 125 MB of f64) and 371,589 x 20 (the K-Means
//! blobs). Both are far larger than any cache, so the pass streams from main memory.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;

const ROWS: usize = 371_589;

/// Values per parallel block: a fixed size (not a function of the thread count), 512 KiB of f64,
/// large enough that scheduling is negligible, small enough for two threads to balance.
const BLOCK: usize = 64 * 1024;

/// Eight independent accumulators so the pass is limited by memory, not by the latency of one
/// chain of dependent additions (the compiler also vectorises the eight lanes).
fn sum_block(values: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let mut chunks = values.chunks_exact(8);
    for c in &mut chunks {
        for (a, v) in acc.iter_mut().zip(c) {
            *a += v;
        }
    }
    let tail: f64 = chunks.remainder().iter().sum();
    acc.iter().sum::<f64>() + tail
}

/// One pass over `values`, blocks summed in parallel, partial sums combined in block order.
fn read_pass(values: &[f64]) -> f64 {
    let partial: Vec<f64> = values.par_chunks(BLOCK).map(sum_block).collect();
    partial.iter().sum()
}

/// A deterministic, non-constant matrix (so nothing can be folded away), written once.
fn matrix(features: usize) -> Vec<f64> {
    (0..ROWS * features)
        .map(|i| (i % 1_000) as f64 * 0.001)
        .collect()
}

fn memory_floor(c: &mut Criterion) {
    let mut g = c.benchmark_group("memory_floor");
    g.sample_size(30);
    for features in [42usize, 20] {
        let values = matrix(features);
        let bytes = std::mem::size_of_val(values.as_slice()) as u64;
        let expected = sum_block(&values);
        g.throughput(Throughput::Bytes(bytes));
        for threads in [1usize, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a thread pool of one or two threads can be built");
            // The check guards the benchmark itself: a pass that skipped data would look fast.
            let got = pool.install(|| read_pass(&values));
            assert!(
                (got - expected).abs() <= 1e-6 * expected.abs(),
                "read pass sums to {got}, expected {expected}"
            );
            g.bench_function(
                format!("read_sum_f64_{ROWS}x{features}_{threads}_threads"),
                |b| b.iter(|| pool.install(|| black_box(read_pass(black_box(&values))))),
            );
        }
    }
    g.finish();
}

criterion_group!(benches, memory_floor);
criterion_main!(benches);
