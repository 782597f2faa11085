//! One Lloyd iteration against one read pass of the same matrix, timed in alternation.
//!
//! `cargo run --release -p cartera-kmeans --example floor_ratio -- [PAIRS=200]`
//!
//! The criterion bench `cargo bench --bench kmeans -- kmeans_iteration` times the iteration
//! and the read pass one after the other, several seconds each. On a shared VM whose memory
//! speed drifts by tens of percent within a minute, the two medians can then come from
//! different phases of the machine. Here each pair (one full iteration, every row assigned and
//! summed, then one read pass over the very matrix it reads) is timed back to back, and the
//! ratio is taken per pair: a drift slower than a few milliseconds cancels out. Prints one
//! JSON line per element type with the medians and the 10th/50th/90th percentiles of the
//! per-pair ratios. Data and centres are the bench's: 371,589 x 20 blobs (8 centres, std 5,
//! seed 1), the centres of a 2-iteration fit from seed 0.

use std::hint::black_box;
use std::time::Instant;

use cartera_core::Float;
use cartera_core::datasets::Blobs;
use cartera_kmeans::KMeansParams;
use cartera_kmeans::bench_support::LloydIteration;
use ndarray::Array2;

/// Unmeasured pairs first, so the pages are touched and the clock settles.
const WARM_UP: usize = 10;

fn main() {
    let pairs: usize = match std::env::args().nth(1) {
        None => 200,
        Some(s) => s.parse().unwrap_or_else(|_| {
            eprintln!("usage: floor_ratio [PAIRS]  (PAIRS a positive whole number, got `{s}`)");
            std::process::exit(2)
        }),
    };
    if pairs == 0 {
        eprintln!("usage: floor_ratio [PAIRS]  (PAIRS must be at least 1)");
        std::process::exit(2)
    }
    let x = Blobs::new(371_589)
        .n_features(20)
        .centers(8)
        .cluster_std(5.0)
        .seed(1)
        .generate()
        .expect("fixed, valid generator parameters")
        .0;
    let start = KMeansParams::new(8)
        .n_init(1)
        .max_iter(2)
        .seed(0)
        .fit(x.view())
        .expect("valid blobs");
    let centres = start.centroids().to_owned();
    report("f64", &x, &centres, pairs);
    report(
        "f32",
        &x.mapv(|v| v as f32),
        &centres.mapv(|v| v as f32),
        pairs,
    );
}

fn report<F: Float>(name: &str, x: &Array2<F>, centres: &Array2<F>, pairs: usize) {
    let mut it = LloydIteration::new(x.view(), centres.view());
    let mut steps = Vec::with_capacity(pairs);
    let mut reads = Vec::with_capacity(pairs);
    for i in 0..WARM_UP + pairs {
        it.forget_labels();
        let t = Instant::now();
        black_box(it.step());
        let step = t.elapsed().as_secs_f64();
        let t = Instant::now();
        black_box(it.read_pass());
        let read = t.elapsed().as_secs_f64();
        if i >= WARM_UP {
            steps.push(step);
            reads.push(read);
        }
    }
    let mut ratios: Vec<f64> = steps.iter().zip(&reads).map(|(s, r)| s / r).collect();
    let (step, read) = (median(&mut steps), median(&mut reads));
    ratios.sort_by(f64::total_cmp);
    let pct = |p: f64| ratios[((ratios.len() - 1) as f64 * p).round() as usize];
    println!(
        "{{\"type\": \"{name}\", \"pairs\": {pairs}, \"threads\": {}, \"iteration_ms\": {:.3}, \
         \"read_pass_ms\": {:.3}, \"ratio_p10\": {:.3}, \"ratio_median\": {:.3}, \
         \"ratio_p90\": {:.3}}}",
        rayon::current_num_threads(),
        step * 1e3,
        read * 1e3,
        pct(0.1),
        pct(0.5),
        pct(0.9)
    );
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
