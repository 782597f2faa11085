//! Whole K-Means fits in `f64` against the same fits in `f32`, timed in alternation.
//!
//! `cargo run --release -p cartera-kmeans --example precision_ratio -- [PAIRS=10]`
//!
//! The K-Means issue asks `f32` fits to be at least 1.6x faster than `f64` ones.
//! `scripts/bench_kmeans.sh` times each as a separate `cartera kmeans` process, between the
//! peers' runs; on a shared VM whose speed drifts by tens of percent within a minute, the two
//! medians can then come from different phases of the machine. Here each pair (one `f64` fit,
//! then the same fit on the same values rounded to `f32`) runs back to back in one process and
//! the ratio is taken per pair. Fits as the bench's: 371,589 x 20 blobs (8 centres, seed 1), k
//! = 8, n_init = 10, seed 0, Lloyd, on the blobs of std 2 (few iterations: seeding weighs
//! most) and of std 5 (more iterations). Prints one JSON line per table with the medians of
//! the fit times and the 10th/50th/90th percentiles of the per-pair ratios.
//!
//! Unlike the CLI's runs, the fits here reuse memory the allocator already holds after the
//! first pair, so page faults, which cost `f64` more (twice the bytes), weigh less.

use std::hint::black_box;
use std::time::Instant;

use cartera_core::datasets::Blobs;
use cartera_kmeans::KMeansParams;

/// Unmeasured pairs first, so the pages are touched and the clock settles.
const WARM_UP: usize = 1;

fn main() {
    let pairs: usize = match std::env::args().nth(1) {
        None => 10,
        Some(s) => s.parse().unwrap_or_else(|_| {
            eprintln!("usage: precision_ratio [PAIRS]  (PAIRS a positive whole number, got `{s}`)");
            std::process::exit(2)
        }),
    };
    if pairs == 0 {
        eprintln!("usage: precision_ratio [PAIRS]  (PAIRS must be at least 1)");
        std::process::exit(2)
    }
    let params = KMeansParams::new(8).n_init(10).seed(0);
    for std in [2.0, 5.0] {
        let x = Blobs::new(371_589)
            .n_features(20)
            .centers(8)
            .cluster_std(std)
            .seed(1)
            .generate()
            .expect("fixed, valid generator parameters")
            .0;
        let x32 = x.mapv(|v| v as f32);
        let mut wide = Vec::with_capacity(pairs);
        let mut narrow = Vec::with_capacity(pairs);
        let mut inertia = (0.0, 0.0);
        for i in 0..WARM_UP + pairs {
            let t = Instant::now();
            let m64 = black_box(params.fit(x.view()).expect("valid blobs"));
            let a = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let m32 = black_box(params.fit(x32.view()).expect("valid blobs"));
            let b = t.elapsed().as_secs_f64();
            inertia = (m64.inertia(), m32.inertia());
            if i >= WARM_UP {
                wide.push(a);
                narrow.push(b);
            }
        }
        let mut ratios: Vec<f64> = wide.iter().zip(&narrow).map(|(a, b)| a / b).collect();
        ratios.sort_by(f64::total_cmp);
        let pct = |p: f64| ratios[((ratios.len() - 1) as f64 * p).round() as usize];
        println!(
            "{{\"cluster_std\": {std}, \"pairs\": {pairs}, \"threads\": {}, \"f64_s\": {:.4}, \
             \"f32_s\": {:.4}, \"ratio_p10\": {:.3}, \"ratio_median\": {:.3}, \
             \"ratio_p90\": {:.3}, \"inertia_f32_over_f64\": {:.6}}}",
            rayon::current_num_threads(),
            median(&mut wide),
            median(&mut narrow),
            pct(0.1),
            pct(0.5),
            pct(0.9),
            inertia.1 / inertia.0
        );
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
