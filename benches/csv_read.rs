//! CSV reading: the generated telco table (study 004 shape, 42 columns) at its full size.
//!
//! `cargo bench --bench csv_read`. The comparison with `pandas.read_csv` on the same file lives
//! in `scripts/bench_csv_read.sh`; see docs/benchmarks.md.

use std::hint::black_box;

use cartera::preprocess::{CsvOptions, Table, datasets};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn telco_csv(rows: usize) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("cartera-bench-telco-{rows}.csv"));
    if !path.exists() {
        let t = datasets::telco_churn(rows, 7).expect("fixed, valid generator parameters");
        t.write_csv(&path).expect("temporary directory is writable");
    }
    path
}

fn read(c: &mut Criterion) {
    let mut g = c.benchmark_group("csv_read");
    g.sample_size(10);
    for rows in [37_159usize, datasets::TELCO_DEFAULT_ROWS] {
        let path = telco_csv(rows);
        let bytes = std::fs::read(&path).expect("file was just written");
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(format!("telco_{rows}x42"), |b| {
            b.iter(|| {
                let t =
                    Table::read_csv_bytes(black_box(&bytes), "telco.csv", &CsvOptions::default())
                        .expect("generated file is valid");
                black_box(t.n_rows())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, read);
criterion_main!(benches);
