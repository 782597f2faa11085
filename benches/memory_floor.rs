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

use cartera::kmeans::bench_support::{read_pass, sum_block};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const ROWS: usize = 371_589;

// The pass itself (`read_pass`: blocks of 64 Ki values summed in parallel with eight
// accumulators each, combined in block order) is the one `cargo bench --bench kmeans --
// kmeans_iteration` sets beside a Lloyd iteration.

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
