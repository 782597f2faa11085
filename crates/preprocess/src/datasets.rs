//! Deterministic customer tables shaped like the studies cartera reproduces.
//!
//! Real customer tables cannot be shipped, so examples, tests and benchmarks use generated ones
//! whose *shape* (column names, types, missing values, sentinels, duplicates) and *signal*
//! (segments that clustering can find, labels that models can learn) follow the studies:
//!
//! * [`telco_churn`]: the 42-column prepaid-telco table of the churn study (study 004), with four
//!   latent behaviour groups, a non-linear churn label, a `9999` sentinel and duplicate rows;
//! * [`bank_customers`]: the columns of the UCI "bank marketing" table (study 001), with a
//!   campaign response `y`;
//! * [`atm_customers`]: the ATM study's transaction frequency and amount (study 002), with three
//!   usage segments.
//!
//! Every generator is a pure function of `(n_rows, seed)`: the same arguments give the same
//! table on every platform and with any number of threads, because rows are generated in blocks
//! of fixed size, block `b` drawing from [`CarteraRng::stream`]`(seed, b)`. String columns are
//! typed by the same rule as the CSV reader, so a generated table written to CSV and read back
//! is the same table.
//!
//! ```
//! use cartera_preprocess::datasets::{telco_churn_with_groups, TELCO_GROUPS};
//!
//! let (table, groups) = telco_churn_with_groups(5_000, 42)?;
//! assert_eq!((table.n_rows(), table.n_cols()), (5_000, 42));
//! assert_eq!(table.names()[1], "CHURN");
//!
//! // Heavy rechargers top up far more often than cautious ones.
//! let recharges = table.column("NUM_RECARGAS_M1")?.as_numeric().expect("a numeric column");
//! let mean_of = |g: usize| {
//!     let rows: Vec<f64> =
//!         (0..groups.len()).filter(|&i| groups[i] == g).map(|i| recharges[i]).collect();
//!     rows.iter().sum::<f64>() / rows.len() as f64
//! };
//! assert_eq!(TELCO_GROUPS[0], "heavy rechargers");
//! assert!(mean_of(0) > 3.0 * mean_of(1));
//!
//! // Same seed, same table.
//! assert_eq!(cartera_preprocess::datasets::telco_churn(5_000, 42)?, table);
//! # Ok::<(), cartera_core::Error>(())
//! ```

use cartera_core::rng::{CarteraRng, splitmix64};
use cartera_core::{Error, Result};
use rayon::prelude::*;
use std::ops::Range;

use crate::table::{CategoricalRule, Column, StringColumnBuilder, Table};

/// Rows per generation block. Fixed (never derived from the thread count) so that the random
/// stream each row draws from, and therefore the table, does not depend on the machine.
const BLOCK_ROWS: usize = 8192;

/// Largest table a generator accepts. Far above what fits in memory; it exists so that an absurd
/// request is an error instead of an allocation overflow, and it keeps telco IMEIs unique.
const MAX_ROWS: usize = 1_000_000_000;

fn check_n_rows(n_rows: usize) -> Result<()> {
    if n_rows == 0 {
        return Err(Error::invalid_param("n_rows", n_rows, "must be at least 1"));
    }
    if n_rows > MAX_ROWS {
        return Err(Error::invalid_param(
            "n_rows",
            n_rows,
            format!("must be at most {MAX_ROWS}"),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Shared machinery
// ---------------------------------------------------------------------------------------------

/// Rows `0..n_rows` in blocks of [`BLOCK_ROWS`], generated in parallel by
/// `block(rng, rows)` with block `b` drawing from `CarteraRng::stream(seed, b)`; blocks are
/// returned in block order whichever thread finished first.
fn generate_blocks<B, F>(n_rows: usize, seed: u64, block: F) -> Vec<B>
where
    B: Send,
    F: Fn(&mut CarteraRng, Range<usize>) -> B + Sync,
{
    (0..n_rows.div_ceil(BLOCK_ROWS))
        .into_par_iter()
        .map(|b| {
            let mut rng = CarteraRng::stream(seed, b as u64);
            let start = b * BLOCK_ROWS;
            block(&mut rng, start..(start + BLOCK_ROWS).min(n_rows))
        })
        .collect()
}

/// Rows `0..n_rows` made one by one by `row(rng, index)` (see [`generate_blocks`]).
fn generate_rows<T, F>(n_rows: usize, seed: u64, row: F) -> Vec<T>
where
    T: Send,
    F: Fn(&mut CarteraRng, usize) -> T + Sync,
{
    let blocks = generate_blocks(n_rows, seed, |rng, rows| {
        rows.map(|i| row(rng, i)).collect::<Vec<T>>()
    });
    let mut all = Vec::with_capacity(n_rows);
    for block in blocks {
        all.extend(block);
    }
    all
}

#[inline]
fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The intercept `b` for which the mean of `sigmoid(b + score)` over `scores` is `target`.
///
/// Calibrating on the rows themselves makes the label rate hit the study's figure for any
/// table size and seed, whatever the feature mix. The mean is a sum of per-block partial sums
/// added in block order, so the result does not depend on the thread count.
fn calibrate_intercept(scores: &[f64], target: f64) -> f64 {
    let mean_probability = |b: f64| {
        let partial: Vec<f64> = scores
            .par_chunks(BLOCK_ROWS)
            .map(|chunk| chunk.iter().map(|s| sigmoid(b + s)).sum::<f64>())
            .collect();
        partial.iter().sum::<f64>() / scores.len() as f64
    };
    // The mean probability rises monotonically with b from 0 to 1; scores are bounded by a few
    // tens, so [-60, 60] brackets the answer and 50 halvings leave an error far below 1e-9.
    let (mut lo, mut hi) = (-60.0, 60.0);
    for _ in 0..50 {
        let mid = 0.5 * (lo + hi);
        if mean_probability(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Poisson deviate by Knuth's product of uniforms (our means are small); a rounded normal
/// above 30, where the product would need too many draws.
fn poisson(rng: &mut CarteraRng, mean: f64) -> f64 {
    if mean <= 0.0 {
        return 0.0;
    }
    if mean > 30.0 {
        return count(rng.normal_with(mean, mean.sqrt()));
    }
    let limit = (-mean).exp();
    let mut k = 0.0;
    let mut product = rng.uniform();
    while product > limit {
        k += 1.0;
        product *= rng.uniform();
    }
    k
}

/// A non-negative whole count from a continuous draw.
#[inline]
fn count(x: f64) -> f64 {
    x.round().max(0.0)
}

/// Money rounded to cents: `round(100 x) / 100` is the double nearest the two-decimal value,
/// so it survives a CSV round trip exactly.
#[inline]
fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `k` distinct indices of `0..n` in random order (partial Fisher–Yates).
fn sample_distinct(rng: &mut CarteraRng, n: usize, k: usize) -> Vec<usize> {
    let mut pool: Vec<usize> = (0..n).collect();
    let k = k.min(n);
    for i in 0..k {
        let j = i + rng.index(n - i);
        pool.swap(i, j);
    }
    pool.truncate(k);
    pool
}

/// A string column of `n` values, typed categorical or text by the CSV reader's rule.
fn string_column<'a>(n: usize, value: impl Fn(usize) -> Option<&'a str>) -> Column {
    let mut builder = StringColumnBuilder::with_capacity(n, n * 12);
    for i in 0..n {
        builder.push(value(i));
    }
    builder.finish(&CategoricalRule::default())
}

/// A string column whose row `i` is written by `write(buf, i)` into one reused buffer, so
/// dates and addresses cost no allocation per row.
fn formatted_column(n: usize, write: impl Fn(&mut String, usize)) -> Column {
    let mut builder = StringColumnBuilder::with_capacity(n, n * 24);
    let mut buf = String::with_capacity(64);
    for i in 0..n {
        buf.clear();
        write(&mut buf, i);
        builder.push(Some(&buf));
    }
    builder.finish(&CategoricalRule::default())
}

/// Appends `value` in decimal, left-padded with zeros to `width` digits.
fn push_padded(buf: &mut String, value: u32, width: usize) {
    let mut digits = [0u8; 10];
    let mut v = value;
    let mut len = 0;
    loop {
        digits[len] = b'0' + (v % 10) as u8;
        v /= 10;
        len += 1;
        if v == 0 {
            break;
        }
    }
    for _ in len..width {
        buf.push('0');
    }
    for &d in digits[..len].iter().rev() {
        buf.push(char::from(d));
    }
}

// ---------------------------------------------------------------------------------------------
// Telco churn (study 004)
// ---------------------------------------------------------------------------------------------

/// Number of rows of the churn study's table (study 004: 371,589 rows x 42 columns).
pub const TELCO_DEFAULT_ROWS: usize = 371_589;

/// Names of the latent behaviour groups of [`telco_churn_with_groups`]; index = group id.
///
/// They are the four segments the churn study found with k-means ("prodigious rechargers",
/// "cautious rechargers", "global communicators", "standard users").
pub const TELCO_GROUPS: [&str; 4] = [
    "heavy rechargers",
    "cautious rechargers",
    "international communicators",
    "standard users",
];

/// The value the study's source system writes in `DIAS_FRECUENCIA_RECARGA` when it could not
/// compute a recharge frequency; left in on purpose, since it is what distorted the study's
/// first models.
const FREQUENCY_SENTINEL: f64 = 9999.0;
const SENTINEL_SHARE: f64 = 0.03;
/// Share of rows that are exact copies of another row (the study removed duplicates).
const DUPLICATE_SHARE: f64 = 0.005;
const TARGET_CHURN_RATE: f64 = 0.25;
/// Multiplies the churn risk points: steep enough that the label is nearly a deterministic
/// function of the features (a good model reaches the study's 0.95 accuracy), not so steep
/// that it is exactly one.
const CHURN_STEEPNESS: f64 = 3.5;

/// Activation dates run from 2018-01-01 (day 0) to 2023-12-31; tenure is counted up to
/// 2024-01-01, the day after the last possible activation.
const REFERENCE_DAY: u32 = 2191;
const DAYS_PER_MONTH: f64 = 30.4375;

/// How one latent group behaves; `(mean, sd)` pairs describe a customer's typical month.
///
/// The means of each international column are spaced so that the top group (international
/// communicators) lies inside the upper IQR fence of the whole column: the study removed IQR
/// outliers before clustering, and a segment sitting beyond the fence would vanish with them.
struct TelcoProfile {
    share: f64,
    recharges_per_month: (f64, f64),
    soles_per_recharge: f64,
    outgoing_minutes: f64,
    international_minutes: (f64, f64),
    international_calls: (f64, f64),
    international_sms: (f64, f64),
    roaming_days: (f64, f64),
    data_mb: f64,
    /// Probability of not having recharged for over 30 days.
    lapse: f64,
    /// Probability of a falling recharge count over the three months.
    decline: f64,
    /// Weights over [`PLANS`].
    plan_weights: [f64; 4],
}

const TELCO_PROFILES: [TelcoProfile; 4] = [
    // heavy rechargers
    TelcoProfile {
        share: 0.20,
        recharges_per_month: (15.0, 2.0),
        soles_per_recharge: 7.0,
        outgoing_minutes: 340.0,
        international_minutes: (22.0, 4.0),
        international_calls: (7.5, 1.5),
        international_sms: (8.0, 2.0),
        roaming_days: (5.0, 1.5),
        data_mb: 2200.0,
        lapse: 0.04,
        decline: 0.10,
        plan_weights: [0.15, 0.45, 0.10, 0.30],
    },
    // cautious rechargers
    TelcoProfile {
        share: 0.30,
        recharges_per_month: (3.0, 0.7),
        soles_per_recharge: 5.0,
        outgoing_minutes: 110.0,
        international_minutes: (3.0, 1.5),
        international_calls: (1.0, 0.8),
        international_sms: (1.0, 1.0),
        roaming_days: (0.3, 0.5),
        data_mb: 900.0,
        lapse: 0.20,
        decline: 0.18,
        plan_weights: [0.70, 0.10, 0.05, 0.15],
    },
    // international communicators
    TelcoProfile {
        share: 0.15,
        recharges_per_month: (6.0, 1.2),
        soles_per_recharge: 12.0,
        outgoing_minutes: 220.0,
        international_minutes: (40.0, 4.5),
        international_calls: (13.0, 1.5),
        international_sms: (14.0, 2.0),
        roaming_days: (8.5, 1.5),
        data_mb: 1800.0,
        lapse: 0.07,
        decline: 0.10,
        plan_weights: [0.10, 0.15, 0.65, 0.10],
    },
    // standard users
    TelcoProfile {
        share: 0.35,
        recharges_per_month: (8.5, 1.5),
        soles_per_recharge: 6.0,
        outgoing_minutes: 260.0,
        international_minutes: (12.0, 3.0),
        international_calls: (4.0, 1.2),
        international_sms: (4.0, 1.5),
        roaming_days: (2.5, 1.2),
        data_mb: 1600.0,
        lapse: 0.09,
        decline: 0.14,
        plan_weights: [0.35, 0.30, 0.05, 0.30],
    },
];

const TELCO_ORDINAL: [&str; 24] = [
    "NUM_RECARGAS_M1",
    "NUM_RECARGAS_M2",
    "NUM_RECARGAS_M3",
    "MONTO_RECARGAS_M1",
    "MONTO_RECARGAS_M2",
    "MONTO_RECARGAS_M3",
    "DIAS_FRECUENCIA_RECARGA",
    "DIAS_DESDE_ULTIMA_RECARGA",
    "MIN_LLAMADAS_SALIENTES",
    "MIN_LLAMADAS_ENTRANTES",
    "NUM_LLAMADAS_SALIENTES",
    "NUM_LLAMADAS_ENTRANTES",
    "NUM_SMS_ENVIADOS",
    "NUM_SMS_RECIBIDOS",
    "MIN_LLAMADAS_INTERNACIONALES",
    "NUM_LLAMADAS_INTERNACIONALES",
    "NUM_SMS_INTERNACIONALES",
    "DIAS_ROAMING",
    "MB_DATOS",
    "NUM_CONTACTOS_DISTINTOS",
    "ANTIGUEDAD_MESES",
    "NUM_RECLAMOS",
    "NUM_LLAMADAS_SOPORTE",
    "NUM_CAMBIOS_PLAN",
];

const TELCO_CATEGORICAL: [&str; 9] = [
    "ESTADO_CIVIL",
    "SITUACION_LABORAL",
    "GENERO",
    "PLAN",
    "REGION",
    "TIENDA",
    "CANAL_ACTIVACION",
    "MARCA_EQUIPO",
    "GAMA_EQUIPO",
];

const TELCO_CONTINUOUS: [&str; 5] = [
    "ARPU_PROMEDIO",
    "SALDO_PROMEDIO",
    "GASTO_INTERNACIONAL",
    "CONSUMO_DATOS_GB",
    "PRECIO_EQUIPO",
];

const MARITAL_STATUS: [&str; 5] = ["SOLTERO", "CASADO", "CONVIVIENTE", "DIVORCIADO", "VIUDO"];
const MARITAL_WEIGHTS: [f64; 5] = [0.42, 0.30, 0.18, 0.07, 0.03];
const EMPLOYMENT: [&str; 5] = [
    "DEPENDIENTE",
    "INDEPENDIENTE",
    "ESTUDIANTE",
    "JUBILADO",
    "DESEMPLEADO",
];
const EMPLOYMENT_WEIGHTS: [f64; 5] = [0.38, 0.34, 0.12, 0.08, 0.08];
const EMPLOYMENT_MISSING: f64 = 0.02;
const GENDERS: [&str; 2] = ["FEMENINO", "MASCULINO"];
const PLANS: [&str; 4] = [
    "PREPAGO BÁSICO",
    "PREPAGO PLUS",
    "PREPAGO INTERNACIONAL",
    "PREPAGO DATOS",
];
const REGIONS: [&str; 12] = [
    "LIMA",
    "AREQUIPA",
    "LA LIBERTAD",
    "PIURA",
    "CUSCO",
    "JUNÍN",
    "ÁNCASH",
    "LAMBAYEQUE",
    "LORETO",
    "PUNO",
    "ICA",
    "SAN MARTÍN",
];
const REGION_WEIGHTS: [f64; 12] = [
    0.425, 0.09, 0.07, 0.07, 0.05, 0.05, 0.045, 0.05, 0.035, 0.035, 0.04, 0.04,
];
/// The city written in addresses of each region.
const REGION_CITIES: [&str; 12] = [
    "Lima", "Arequipa", "Trujillo", "Piura", "Cusco", "Huancayo", "Huaraz", "Chiclayo", "Iquitos",
    "Juliaca", "Ica", "Tarapoto",
];
/// Stores per region, numbered consecutively from T01 in region order (40 in all), so that a
/// store always lies in its customer's region.
const REGION_STORES: [u8; 12] = [14, 4, 3, 3, 3, 3, 2, 2, 2, 1, 2, 1];
const STORES: [&str; 40] = [
    "T01", "T02", "T03", "T04", "T05", "T06", "T07", "T08", "T09", "T10", "T11", "T12", "T13",
    "T14", "T15", "T16", "T17", "T18", "T19", "T20", "T21", "T22", "T23", "T24", "T25", "T26",
    "T27", "T28", "T29", "T30", "T31", "T32", "T33", "T34", "T35", "T36", "T37", "T38", "T39",
    "T40",
];
/// Stores whose customers churn more (a badly run point of sale): T07, T19 and T33.
const RISKY_STORES: [u8; 3] = [6, 18, 32];
const CHANNELS: [&str; 5] = [
    "TIENDA PROPIA",
    "DISTRIBUIDOR",
    "CANAL ONLINE",
    "TELEVENTAS",
    "PUNTO DE VENTA MÓVIL",
];
const CHANNEL_WEIGHTS: [f64; 5] = [0.35, 0.30, 0.15, 0.08, 0.12];
const BRANDS: [&str; 9] = [
    "SAMSUNG", "XIAOMI", "MOTOROLA", "APPLE", "HUAWEI", "HONOR", "OPPO", "ZTE", "OTRA",
];
const BRAND_WEIGHTS: [f64; 9] = [0.28, 0.20, 0.16, 0.08, 0.08, 0.06, 0.06, 0.04, 0.04];
/// Typical handset price of each brand relative to the market.
const BRAND_PRICE_FACTOR: [f64; 9] = [1.05, 0.85, 0.9, 1.45, 1.0, 0.95, 0.95, 0.75, 0.7];
const TIERS: [&str; 3] = ["BAJA", "MEDIA", "ALTA"];
const STREET_TYPES: [&str; 5] = ["Av.", "Jr.", "Calle", "Psje.", "Prolong."];
const STREET_NAMES: [&str; 24] = [
    "Los Olivos",
    "Grau",
    "Bolognesi",
    "San Martín",
    "Los Próceres",
    "La Marina",
    "José Gálvez",
    "Túpac Amaru",
    "Las Begonias",
    "Los Álamos",
    "Independencia",
    "28 de Julio",
    "Sucre",
    "Ayacucho",
    "Huáscar",
    "Mariscal Castilla",
    "Angamos",
    "Brasil",
    "La Primavera",
    "Los Cedros",
    "Miraflores",
    "Santa Rosa",
    "Ramón Castilla",
    "Leoncio Prado",
];

/// Index into a level table, or [`MISSING_LEVEL`].
type Level = u8;
const MISSING_LEVEL: Level = Level::MAX;

/// Where a customer lives; the city comes from the region.
#[derive(Clone, Copy)]
struct Address {
    street_type: Level,
    street_name: Level,
    number: u16,
}

/// One generated customer, before duplicates are added.
struct TelcoRow {
    imei: f64,
    group: u8,
    ordinal: [f64; 24],
    categorical: [Level; 9],
    continuous: [f64; 5],
    activation_day: u32,
    address: Address,
    /// Churn log-odds without the intercept.
    risk: f64,
    /// The uniform draw that decides the label once the intercept is known.
    label_draw: f64,
}

/// A block of customers stored column by column, so that the table's columns are gathered with
/// sequential reads rather than by striding over wide rows.
struct TelcoBlock {
    imei: Vec<f64>,
    group: Vec<u8>,
    ordinal: [Vec<f64>; 24],
    categorical: [Vec<Level>; 9],
    continuous: [Vec<f64>; 5],
    activation_day: Vec<u32>,
    address: Vec<Address>,
    risk: Vec<f64>,
    label_draw: Vec<f64>,
}

impl TelcoBlock {
    fn generate(rng: &mut CarteraRng, rows: Range<usize>, imei_offset: u64) -> Self {
        let n = rows.len();
        let mut block = TelcoBlock {
            imei: Vec::with_capacity(n),
            group: Vec::with_capacity(n),
            ordinal: std::array::from_fn(|_| Vec::with_capacity(n)),
            categorical: std::array::from_fn(|_| Vec::with_capacity(n)),
            continuous: std::array::from_fn(|_| Vec::with_capacity(n)),
            activation_day: Vec::with_capacity(n),
            address: Vec::with_capacity(n),
            risk: Vec::with_capacity(n),
            label_draw: Vec::with_capacity(n),
        };
        for i in rows {
            let row = telco_row(rng, i, imei_offset);
            block.imei.push(row.imei);
            block.group.push(row.group);
            for (column, value) in block.ordinal.iter_mut().zip(row.ordinal) {
                column.push(value);
            }
            for (column, value) in block.categorical.iter_mut().zip(row.categorical) {
                column.push(value);
            }
            for (column, value) in block.continuous.iter_mut().zip(row.continuous) {
                column.push(value);
            }
            block.activation_day.push(row.activation_day);
            block.address.push(row.address);
            block.risk.push(row.risk);
            block.label_draw.push(row.label_draw);
        }
        block
    }
}

/// An IMEI-shaped 15-digit number: reporting body `35`, a 12-digit serial and a Luhn check
/// digit. The serial is an affine bijection of the customer index modulo 10^12 (the multiplier
/// is prime to 10), so IMEIs are unique and look unordered.
fn imei(index: usize, offset: u64) -> f64 {
    const SERIALS: u128 = 1_000_000_000_000;
    const MULTIPLIER: u128 = 736_274_918_539;
    let serial = ((index as u128 * MULTIPLIER + u128::from(offset)) % SERIALS) as u64;
    let body = 35 * SERIALS as u64 + serial;
    // Below 10^15 < 2^53, so the f64 holds it exactly.
    (body * 10 + luhn_check_digit(body)) as f64
}

/// The Luhn check digit of `body`, as IMEIs and card numbers carry it.
fn luhn_check_digit(body: u64) -> u64 {
    // From the right, double every other digit starting with the body's last one.
    let mut sum = 0;
    let mut rest = body;
    let mut double = true;
    while rest > 0 {
        let mut d = rest % 10;
        if double {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
        double = !double;
        rest /= 10;
    }
    (10 - sum % 10) % 10
}

fn weighted_level(rng: &mut CarteraRng, weights: &[f64]) -> Level {
    rng.weighted_index(weights) as Level
}

fn telco_row(rng: &mut CarteraRng, index: usize, imei_offset: u64) -> TelcoRow {
    let shares = TELCO_PROFILES.map(|p| p.share);
    let group = rng.weighted_index(&shares);
    let p = &TELCO_PROFILES[group];

    // Recent activations are more common: older customers have partly churned away.
    let days_before_reference = (f64::from(REFERENCE_DAY) * rng.uniform().powf(1.5)) as u32;
    let activation_day = REFERENCE_DAY - 1 - days_before_reference.min(REFERENCE_DAY - 1);
    let tenure = (f64::from(REFERENCE_DAY - activation_day) / DAYS_PER_MONTH).floor();

    // Recharges: M1 is the oldest month, M3 the latest.
    let (rate_mean, rate_sd) = p.recharges_per_month;
    let rate = rng.normal_with(rate_mean, rate_sd).max(1.0);
    let trend = if rng.bernoulli(p.decline) {
        [1.0, 0.7, 0.35]
    } else {
        [1.0, 1.0, 1.0]
    };
    let ticket = rng
        .normal_with(p.soles_per_recharge, 0.12 * p.soles_per_recharge)
        .max(1.0);
    let mut recharges = [0.0; 3];
    let mut amounts = [0.0; 3];
    for m in 0..3 {
        recharges[m] = count(rate * trend[m] * rng.normal_with(1.0, 0.08));
        amounts[m] = count(recharges[m] * ticket * rng.normal_with(1.0, 0.05));
    }
    let frequency_days = (30.0 / rate * rng.normal_with(1.0, 0.1))
        .round()
        .clamp(1.0, 60.0);
    let frequency = if rng.bernoulli(SENTINEL_SHARE) {
        FREQUENCY_SENTINEL
    } else {
        frequency_days
    };
    let days_since_recharge = if rng.bernoulli(p.lapse) {
        31.0 + rng.below(90) as f64
    } else {
        let window = (1.5 * frequency_days).ceil().min(30.0) as u64;
        rng.below(window + 1) as f64
    };

    let out_minutes = count(rng.normal_with(p.outgoing_minutes, 0.18 * p.outgoing_minutes));
    let in_minutes = count(out_minutes * rng.normal_with(0.9, 0.1));
    let out_calls = count(out_minutes / rng.normal_with(2.8, 0.3).max(1.0));
    let in_calls = count(in_minutes / rng.normal_with(2.4, 0.3).max(1.0));
    let sms_sent = count(rng.normal_with(30.0, 9.0));
    let sms_received = count(sms_sent * rng.normal_with(1.3, 0.2));
    // Calls follow minutes (correlation 0.6) but have their own spread, set so that the
    // international group stays inside the column's IQR fence.
    let minutes_z = rng.normal();
    let intl_minutes = count(p.international_minutes.0 + p.international_minutes.1 * minutes_z);
    let calls_z = 0.6 * minutes_z + 0.8 * rng.normal();
    let intl_calls = count(p.international_calls.0 + p.international_calls.1 * calls_z);
    let intl_sms = count(rng.normal_with(p.international_sms.0, p.international_sms.1));
    let roaming = count(rng.normal_with(p.roaming_days.0, p.roaming_days.1));
    let data_mb = count(rng.normal_with(p.data_mb, 0.2 * p.data_mb));
    let contacts = count(rng.normal_with(25.0 + out_calls / 6.0, 6.0));
    // A fifth of customers are unhappy and complain repeatedly.
    let complaints = if rng.bernoulli(0.2) {
        poisson(rng, 2.6)
    } else {
        poisson(rng, 0.8)
    };
    let support_calls = poisson(rng, 0.4 + 0.7 * complaints);
    let plan_changes = poisson(rng, 0.5 + tenure / 30.0);

    let region = weighted_level(rng, &REGION_WEIGHTS);
    let first_store: u8 = REGION_STORES[..usize::from(region)].iter().sum();
    let store = first_store + rng.below(u64::from(REGION_STORES[usize::from(region)])) as u8;
    let employment = if rng.bernoulli(EMPLOYMENT_MISSING) {
        MISSING_LEVEL
    } else {
        weighted_level(rng, &EMPLOYMENT_WEIGHTS)
    };
    let brand = weighted_level(rng, &BRAND_WEIGHTS);
    // The handset price is drawn first and the tier read from it, as a retailer would label it.
    let price = rng
        .normal_with(900.0 * BRAND_PRICE_FACTOR[usize::from(brand)], 250.0)
        .max(149.0);
    let tier = if price < 700.0 {
        0
    } else if price < 1400.0 {
        1
    } else {
        2
    };
    let categorical = [
        weighted_level(rng, &MARITAL_WEIGHTS),
        employment,
        rng.below(2) as Level,
        weighted_level(rng, &p.plan_weights),
        region,
        store,
        weighted_level(rng, &CHANNEL_WEIGHTS),
        brand,
        tier,
    ];

    let intl_spend = (0.3 * intl_minutes + 2.0 * roaming + rng.normal_with(0.0, 1.5)).max(0.0);
    let mean_amount = (amounts[0] + amounts[1] + amounts[2]) / 3.0;
    let arpu = (0.8 * mean_amount + 0.2 * intl_spend + 6.0 + rng.normal_with(0.0, 8.0)).max(2.0);
    let balance = if rng.bernoulli(0.01) {
        f64::NAN
    } else {
        cents(rng.normal_with(8.0 + 0.05 * arpu, 3.0).max(0.0))
    };
    let data_gb = data_mb / 1024.0 * rng.normal_with(1.0, 0.08).max(0.5);
    let continuous = [
        cents(arpu),
        balance,
        cents(intl_spend),
        cents(data_gb),
        cents(price),
    ];

    let risk = CHURN_STEEPNESS
        * churn_risk_points(&ChurnDrivers {
            days_since_recharge,
            frequency,
            recharges_first: recharges[0],
            recharges_last: recharges[2],
            arpu: continuous[0],
            complaints,
            tenure,
            store,
            support_calls,
        });

    TelcoRow {
        imei: imei(index, imei_offset),
        group: group as u8,
        ordinal: [
            recharges[0],
            recharges[1],
            recharges[2],
            amounts[0],
            amounts[1],
            amounts[2],
            frequency,
            days_since_recharge,
            out_minutes,
            in_minutes,
            out_calls,
            in_calls,
            sms_sent,
            sms_received,
            intl_minutes,
            intl_calls,
            intl_sms,
            roaming,
            data_mb,
            contacts,
            tenure,
            complaints,
            support_calls,
            plan_changes,
        ],
        categorical,
        continuous,
        activation_day,
        address: Address {
            street_type: rng.index(STREET_TYPES.len()) as Level,
            street_name: rng.index(STREET_NAMES.len()) as Level,
            number: 1 + rng.below(3999) as u16,
        },
        risk,
        label_draw: rng.uniform(),
    }
}

/// The observed columns the churn label depends on.
struct ChurnDrivers {
    days_since_recharge: f64,
    frequency: f64,
    recharges_first: f64,
    recharges_last: f64,
    arpu: f64,
    complaints: f64,
    tenure: f64,
    store: u8,
    support_calls: f64,
}

/// Churn risk in points, computed from the *published* column values only, so a model can in
/// principle recover the label. Each term is a shape a linear score cannot draw: steps at
/// thresholds, an interaction, a middle band, a handful of stores and a sentinel.
fn churn_risk_points(c: &ChurnDrivers) -> f64 {
    let mut points = 0.0;
    // A month without recharging is the strongest sign of an abandoned line.
    if c.days_since_recharge > 30.0 {
        points += 3.0;
    }
    // The sentinel carries its own risk, so a model that reads 9999 as "very infrequent"
    // learns the wrong slope for every other row.
    if c.frequency == FREQUENCY_SENTINEL {
        points += 1.5;
    } else if c.frequency >= 14.0 {
        points += 2.0;
    }
    // Recharges falling to half within three months.
    if c.recharges_first >= 4.0 && 2.0 * c.recharges_last <= c.recharges_first {
        points += 2.5;
    }
    // Mid-range spenders are the loyal core; cheap lines and expensive ones both leave.
    if (25.0..=60.0).contains(&c.arpu) {
        points -= 2.0;
    }
    // Complaints hurt new customers, not ones who already stayed through problems.
    if c.complaints >= 3.0 && c.tenure < 12.0 {
        points += 3.0;
    }
    if RISKY_STORES.contains(&c.store) {
        points += 2.0;
    }
    if c.tenure >= 48.0 {
        points -= 1.5;
    }
    if c.support_calls >= 5.0 {
        points += 1.0;
    }
    points
}

/// Writes day `day` (0 = 2018-01-01) as `YYYY-MM-DD`.
fn push_date(buf: &mut String, day: u32) {
    let is_leap = |y: u32| (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let mut rest = day;
    let mut year = 2018;
    loop {
        let len = if is_leap(year) { 366 } else { 365 };
        if rest < len {
            break;
        }
        rest -= len;
        year += 1;
    }
    let february = if is_leap(year) { 29 } else { 28 };
    let month_lengths = [31, february, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut month = 1;
    for len in month_lengths {
        if rest < len {
            break;
        }
        rest -= len;
        month += 1;
    }
    push_padded(buf, year, 4);
    buf.push('-');
    push_padded(buf, month, 2);
    buf.push('-');
    push_padded(buf, rest + 1, 2);
}

fn push_address(buf: &mut String, address: Address, region: Level) {
    buf.push_str(STREET_TYPES[usize::from(address.street_type)]);
    buf.push(' ');
    buf.push_str(STREET_NAMES[usize::from(address.street_name)]);
    buf.push(' ');
    push_padded(buf, u32::from(address.number), 1);
    buf.push_str(", ");
    buf.push_str(REGION_CITIES[usize::from(region)]);
}

/// Final row order: the `n_base` customers in order, with `n_rows - n_base` of them repeated
/// once each at random positions.
fn order_with_duplicates(rng: &mut CarteraRng, n_base: usize, n_rows: usize) -> Vec<usize> {
    let n_copies = n_rows - n_base;
    let repeated = sample_distinct(rng, n_base, n_copies);
    let mut is_copy_slot = vec![false; n_rows];
    for slot in sample_distinct(rng, n_rows, n_copies) {
        is_copy_slot[slot] = true;
    }
    let mut order = Vec::with_capacity(n_rows);
    let (mut next_base, mut next_copy) = (0, 0);
    // Exactly n_copies slots are marked, so next_copy stays below repeated.len() and next_base
    // below n_base.
    for copy in is_copy_slot {
        if copy {
            order.push(repeated[next_copy]);
            next_copy += 1;
        } else {
            order.push(next_base);
            next_base += 1;
        }
    }
    order
}

/// Stream index for draws made once per table (duplicates), never reached by a block.
const TABLE_STREAM: u64 = u64::MAX;

/// The prepaid-telco customer table of the churn study (study 004), `n_rows` rows x 42 columns.
///
/// Imitates the study's extract: `IMEI` (a unique device ID to drop before modelling), the
/// label `CHURN` (1 = churned, about 25 %), 24 ordinal counts with the source's Spanish names
/// (recharges per month `M1` oldest to `M3` latest, traffic, tenure, complaints), 9 categorical
/// columns (with non-ASCII levels such as `JUNÍN`; `SITUACION_LABORAL` about 2 % missing), 5
/// continuous amounts in soles rounded to cents (`SALDO_PROMEDIO` about 1 % missing as NaN),
/// `FECHA_ACTIVACION` (`YYYY-MM-DD`, consistent with `ANTIGUEDAD_MESES` counted to 2024-01-01)
/// and a postal `DIRECCION` in the customer's region. `DIAS_FRECUENCIA_RECARGA` holds the
/// sentinel `9999` in about 3 % of rows, and round(0.5 % of `n_rows`) rows are exact copies of
/// other rows (IMEI included), placed at random positions.
///
/// Why it is learnable:
/// * **segments**: customers belong to the four [`TELCO_GROUPS`], which differ by several
///   within-group standard deviations in recharge counts and amounts, days between recharges,
///   international minutes, calls and SMS, roaming days and international spend, and stay
///   inside the columns' IQR fences, so k-means on min-max-scaled numeric columns after IQR
///   outlier removal finds them (see [`telco_churn_with_groups`]);
/// * **churn**: the log-odds are a steep sum of non-linear terms of published columns, more
///   than 30 days since the last recharge, a recharge frequency of 14+ days or the sentinel,
///   `NUM_RECARGAS_M3` at most half of `M1`, 3+ complaints in the first year, stores T07, T19
///   and T33, long tenure, many support calls, and *lower* churn for an ARPU between 25 and 60
///   soles. Tree ensembles can represent all of these and logistic regression cannot: on
///   100,000 rows (70/30 split, categorical columns one-hot encoded), scikit-learn's
///   histogram gradient boosting reached 0.95 accuracy (the study's LightGBM figure) and a
///   logistic regression on robust-scaled columns 0.85.
///
/// # Errors
/// [`Error::InvalidParameter`] (`n_rows`) when `n_rows` is 0 or above one billion.
pub fn telco_churn(n_rows: usize, seed: u64) -> Result<Table> {
    telco_churn_with_groups(n_rows, seed).map(|(table, _)| table)
}

/// [`telco_churn`] with the latent behaviour group of each row (an index into
/// [`TELCO_GROUPS`], `0..4`), in the table's row order (duplicates included).
///
/// The groups are what a segmentation should recover: use them to score a clustering (adjusted
/// Rand index) or to check that cluster profiles match the study's segments.
///
/// # Errors
/// As [`telco_churn`].
pub fn telco_churn_with_groups(n_rows: usize, seed: u64) -> Result<(Table, Vec<usize>)> {
    check_n_rows(n_rows)?;
    let n_copies = (n_rows as f64 * DUPLICATE_SHARE).round() as usize;
    let n_base = n_rows - n_copies;
    // IMEIs change with the seed; the constant keeps this draw apart from the block streams.
    let mut offset_state = seed ^ 0x1AE1_C0DE_5EED_0004;
    let imei_offset = splitmix64(&mut offset_state);
    let blocks = generate_blocks(n_base, seed, |rng, rows| {
        TelcoBlock::generate(rng, rows, imei_offset)
    });

    let risks: Vec<f64> = blocks.iter().flat_map(|b| b.risk.iter().copied()).collect();
    let intercept = calibrate_intercept(&risks, TARGET_CHURN_RATE);
    let churn: Vec<Vec<f64>> = blocks
        .par_iter()
        .map(|b| {
            b.risk
                .iter()
                .zip(&b.label_draw)
                .map(|(risk, draw)| f64::from(u8::from(*draw < sigmoid(intercept + risk))))
                .collect()
        })
        .collect();

    let mut rng = CarteraRng::stream(seed, TABLE_STREAM);
    // Each final row as (block, offset in block) of the customer it shows.
    let order: Vec<(usize, usize)> = order_with_duplicates(&mut rng, n_base, n_rows)
        .into_iter()
        .map(|r| (r / BLOCK_ROWS, r % BLOCK_ROWS))
        .collect();

    enum Field {
        Imei,
        Churn,
        Ordinal(usize),
        Categorical(usize),
        Continuous(usize),
        ActivationDate,
        Address,
    }
    let mut fields: Vec<(&str, Field)> = vec![("IMEI", Field::Imei), ("CHURN", Field::Churn)];
    fields.extend(
        TELCO_ORDINAL
            .iter()
            .enumerate()
            .map(|(j, n)| (*n, Field::Ordinal(j))),
    );
    fields.extend(
        TELCO_CATEGORICAL
            .iter()
            .enumerate()
            .map(|(j, n)| (*n, Field::Categorical(j))),
    );
    fields.extend(
        TELCO_CONTINUOUS
            .iter()
            .enumerate()
            .map(|(j, n)| (*n, Field::Continuous(j))),
    );
    fields.push(("FECHA_ACTIVACION", Field::ActivationDate));
    fields.push(("DIRECCION", Field::Address));

    let levels: [&[&str]; 9] = [
        &MARITAL_STATUS,
        &EMPLOYMENT,
        &GENDERS,
        &PLANS,
        &REGIONS,
        &STORES,
        &CHANNELS,
        &BRANDS,
        &TIERS,
    ];
    let columns: Vec<(String, Column)> = fields
        .into_par_iter()
        .map(|(name, field)| {
            let column = match field {
                Field::Imei => {
                    Column::Numeric(order.iter().map(|&(b, o)| blocks[b].imei[o]).collect())
                }
                Field::Churn => Column::Numeric(order.iter().map(|&(b, o)| churn[b][o]).collect()),
                Field::Ordinal(j) => Column::Numeric(
                    order
                        .iter()
                        .map(|&(b, o)| blocks[b].ordinal[j][o])
                        .collect(),
                ),
                Field::Continuous(j) => Column::Numeric(
                    order
                        .iter()
                        .map(|&(b, o)| blocks[b].continuous[j][o])
                        .collect(),
                ),
                Field::Categorical(j) => string_column(n_rows, |i| {
                    let (b, o) = order[i];
                    levels[j]
                        .get(usize::from(blocks[b].categorical[j][o]))
                        .copied()
                }),
                Field::ActivationDate => formatted_column(n_rows, |buf, i| {
                    let (b, o) = order[i];
                    push_date(buf, blocks[b].activation_day[o]);
                }),
                Field::Address => formatted_column(n_rows, |buf, i| {
                    let (b, o) = order[i];
                    push_address(buf, blocks[b].address[o], blocks[b].categorical[4][o]);
                }),
            };
            (name.to_string(), column)
        })
        .collect();
    let groups = order
        .iter()
        .map(|&(b, o)| usize::from(blocks[b].group[o]))
        .collect();
    Ok((Table::from_columns(columns)?, groups))
}

// ---------------------------------------------------------------------------------------------
// Bank marketing (study 001)
// ---------------------------------------------------------------------------------------------

const JOBS: [&str; 12] = [
    "admin.",
    "blue-collar",
    "entrepreneur",
    "housemaid",
    "management",
    "retired",
    "self-employed",
    "services",
    "student",
    "technician",
    "unemployed",
    "unknown",
];
/// Job shares of the UCI table.
const JOB_WEIGHTS: [f64; 12] = [
    0.114, 0.215, 0.033, 0.027, 0.209, 0.050, 0.035, 0.092, 0.021, 0.168, 0.029, 0.007,
];
const BLUE_COLLAR: Level = 1;
const RETIRED: Level = 5;
const SERVICES: Level = 7;
const STUDENT: Level = 8;
/// Age of each job as (mean, sd, youngest, oldest): students young, retired old.
const JOB_AGE: [(f64, f64, f64, f64); 12] = [
    (39.0, 9.0, 20.0, 65.0),
    (40.0, 9.0, 20.0, 65.0),
    (42.0, 9.0, 22.0, 70.0),
    (46.0, 11.0, 22.0, 70.0),
    (40.0, 9.0, 23.0, 65.0),
    (62.0, 8.0, 48.0, 95.0),
    (40.0, 10.0, 22.0, 70.0),
    (38.0, 9.0, 20.0, 65.0),
    (26.0, 4.0, 18.0, 40.0),
    (39.0, 9.0, 21.0, 65.0),
    (40.0, 10.0, 20.0, 65.0),
    (45.0, 12.0, 20.0, 80.0),
];
const EDUCATION: [&str; 4] = ["primary", "secondary", "tertiary", "unknown"];
const TERTIARY: Level = 2;
/// Education weights by job, as the UCI table's cross-tabulation roughly gives them.
const JOB_EDUCATION: [[f64; 4]; 12] = [
    [0.04, 0.82, 0.10, 0.04],
    [0.40, 0.54, 0.02, 0.04],
    [0.13, 0.37, 0.46, 0.04],
    [0.50, 0.30, 0.14, 0.06],
    [0.03, 0.12, 0.81, 0.04],
    [0.35, 0.45, 0.13, 0.07],
    [0.09, 0.33, 0.54, 0.04],
    [0.09, 0.83, 0.05, 0.03],
    [0.05, 0.53, 0.24, 0.18],
    [0.02, 0.68, 0.26, 0.04],
    [0.20, 0.52, 0.22, 0.06],
    [0.15, 0.25, 0.10, 0.50],
];
/// Median balance of each job relative to the whole table.
const JOB_BALANCE: [f64; 12] = [0.9, 0.8, 1.2, 0.9, 1.4, 1.6, 1.2, 0.8, 0.7, 1.0, 0.9, 1.0];
const MARITAL: [&str; 3] = ["married", "single", "divorced"];
const YES_NO: [&str; 2] = ["no", "yes"];
const YES: Level = 1;
const CONTACTS: [&str; 3] = ["cellular", "telephone", "unknown"];
const CELLULAR: Level = 0;
const POUTCOMES: [&str; 4] = ["unknown", "failure", "other", "success"];
const NEVER_CONTACTED: Level = 0;
const FAILURE: Level = 1;
const SUCCESS: Level = 3;
const TARGET_RESPONSE_RATE: f64 = 0.11;

struct BankRow {
    age: f64,
    job: Level,
    marital: Level,
    education: Level,
    default: Level,
    balance: f64,
    housing: Level,
    loan: Level,
    contact: Level,
    duration: f64,
    campaign: f64,
    pdays: f64,
    previous: f64,
    poutcome: Level,
    /// Response log-odds without the intercept.
    score: f64,
    label_draw: f64,
}

fn bank_row(rng: &mut CarteraRng) -> BankRow {
    let job = weighted_level(rng, &JOB_WEIGHTS);
    let (age_mean, age_sd, youngest, oldest) = JOB_AGE[usize::from(job)];
    let age = rng
        .normal_with(age_mean, age_sd)
        .round()
        .clamp(youngest, oldest);
    let (single, divorced) = if age < 30.0 {
        (0.65, 0.03)
    } else if age < 40.0 {
        (0.30, 0.10)
    } else {
        (0.12, 0.15)
    };
    let marital = weighted_level(rng, &[1.0 - single - divorced, single, divorced]);
    let education = weighted_level(rng, &JOB_EDUCATION[usize::from(job)]);
    let default = Level::from(rng.bernoulli(0.018));
    // Balances are log-normal with a long right tail; a few accounts are overdrawn. The bounds
    // are the UCI table's minimum and maximum.
    let overdrawn = rng.bernoulli(0.08);
    let balance = if overdrawn {
        let debt = rng.normal_with(250f64.ln(), 1.0).exp().min(8019.0);
        -debt.round()
    } else {
        let median = 450.0 * JOB_BALANCE[usize::from(job)] * (1.0 + (age - 40.0) / 80.0);
        rng.normal_with(median.ln(), 1.3)
            .exp()
            .min(102_127.0)
            .round()
    };
    let housing_rate = match job {
        RETIRED => 0.2,
        STUDENT => 0.1,
        _ if age < 30.0 => 0.5,
        _ if age <= 50.0 => 0.65,
        _ => 0.35,
    };
    let housing = Level::from(rng.bernoulli(housing_rate));
    let loan_rate = match job {
        RETIRED => 0.07,
        STUDENT => 0.01,
        BLUE_COLLAR | SERVICES => 0.2,
        _ => 0.16,
    };
    let loan = Level::from(rng.bernoulli(loan_rate));
    let telephone = if age > 60.0 { 0.25 } else { 0.065 };
    let contact = weighted_level(rng, &[0.65, telephone, 0.285]);
    let duration = rng
        .normal_with(180f64.ln(), 0.75)
        .exp()
        .round()
        .clamp(1.0, 4918.0);
    let campaign = 1.0
        + if rng.bernoulli(0.1) {
            poisson(rng, 5.0)
        } else {
            poisson(rng, 1.0)
        };
    let (pdays, previous, poutcome) = if rng.bernoulli(0.18) {
        let pdays = rng.normal_with(220.0, 110.0).round().clamp(1.0, 871.0);
        let previous = 1.0 + poisson(rng, 1.5);
        // Levels 1.. of POUTCOMES: failure, other, success.
        let outcome = 1 + weighted_level(rng, &[0.59, 0.22, 0.19]);
        (pdays, previous, outcome)
    } else {
        (-1.0, 0.0, NEVER_CONTACTED)
    };

    // Longer calls, an earlier success, students and the retired, mobile phones and customers
    // without a mortgage respond more; repeated calls in one campaign annoy.
    let mut score = 1.6 * (duration / 250.0).ln();
    score += match poutcome {
        SUCCESS => 2.4,
        FAILURE => 0.2,
        _ => 0.0,
    };
    if job == STUDENT || job == RETIRED {
        score += 0.9;
    }
    if contact == CELLULAR {
        score += 0.7;
    }
    if housing == YES {
        score -= 0.7;
    }
    if loan == YES {
        score -= 0.4;
    }
    if education == TERTIARY {
        score += 0.3;
    }
    if default == YES {
        score -= 0.5;
    }
    score -= 0.12 * (campaign - 1.0);

    BankRow {
        age,
        job,
        marital,
        education,
        default,
        balance,
        housing,
        loan,
        contact,
        duration,
        campaign,
        pdays,
        previous,
        poutcome,
        score,
        label_draw: rng.uniform(),
    }
}

/// A bank-marketing customer table with the columns of the public UCI "bank marketing" data
/// (study 001 segments it with k-means).
///
/// Columns, in order: `age`, `job` (the 12 UCI levels, `admin.` to `unknown`), `marital`
/// (`married`/`single`/`divorced`), `education` (`primary`/`secondary`/`tertiary`/`unknown`),
/// `default`, `balance` (yearly average in euros, whole numbers, sometimes negative, long
/// right tail), `housing`, `loan`, `contact` (`cellular`/`telephone`/`unknown`), `duration`
/// (last call, seconds), `campaign` (contacts in this campaign, at least 1), `pdays` (days since
/// the previous campaign's contact, `-1` if never contacted), `previous` (earlier contacts),
/// `poutcome` (`unknown`/`failure`/`other`/`success`) and the response `y` (`yes`/`no`,
/// calibrated to about 11 % `yes`). Yes/no and level columns are categorical; the others are
/// numeric.
///
/// Why it is learnable: the columns hang together as in the UCI data (students are young, the
/// retired old, education follows the job, marital status the age), so demographic segments
/// exist, and `y` rises with call duration, an earlier success, being a student or retired,
/// a cellular contact, tertiary education and having no housing loan, so per-segment
/// conversion rates differ.
///
/// # Errors
/// [`Error::InvalidParameter`] (`n_rows`) when `n_rows` is 0 or above one billion.
pub fn bank_customers(n_rows: usize, seed: u64) -> Result<Table> {
    check_n_rows(n_rows)?;
    let rows = generate_rows(n_rows, seed, |rng, _| bank_row(rng));
    let scores: Vec<f64> = rows.par_iter().map(|r| r.score).collect();
    let intercept = calibrate_intercept(&scores, TARGET_RESPONSE_RATE);

    enum Field {
        Number(fn(&BankRow) -> f64),
        Label(&'static [&'static str], fn(&BankRow) -> Level),
        Response,
    }
    let fields: Vec<(&str, Field)> = vec![
        ("age", Field::Number(|r| r.age)),
        ("job", Field::Label(&JOBS, |r| r.job)),
        ("marital", Field::Label(&MARITAL, |r| r.marital)),
        ("education", Field::Label(&EDUCATION, |r| r.education)),
        ("default", Field::Label(&YES_NO, |r| r.default)),
        ("balance", Field::Number(|r| r.balance)),
        ("housing", Field::Label(&YES_NO, |r| r.housing)),
        ("loan", Field::Label(&YES_NO, |r| r.loan)),
        ("contact", Field::Label(&CONTACTS, |r| r.contact)),
        ("duration", Field::Number(|r| r.duration)),
        ("campaign", Field::Number(|r| r.campaign)),
        ("pdays", Field::Number(|r| r.pdays)),
        ("previous", Field::Number(|r| r.previous)),
        ("poutcome", Field::Label(&POUTCOMES, |r| r.poutcome)),
        ("y", Field::Response),
    ];
    let columns: Vec<(String, Column)> = fields
        .into_par_iter()
        .map(|(name, field)| {
            let column = match field {
                Field::Number(value) => Column::Numeric(rows.iter().map(value).collect()),
                Field::Label(levels, value) => string_column(n_rows, |i| {
                    levels.get(usize::from(value(&rows[i]))).copied()
                }),
                Field::Response => string_column(n_rows, |i| {
                    let r = &rows[i];
                    let yes = r.label_draw < sigmoid(intercept + r.score);
                    Some(YES_NO[usize::from(yes)])
                }),
            };
            (name.to_string(), column)
        })
        .collect();
    Table::from_columns(columns)
}

// ---------------------------------------------------------------------------------------------
// ATM customers (study 002)
// ---------------------------------------------------------------------------------------------

/// Names of the usage segments of [`atm_customers_with_groups`]; index = group id.
///
/// They are the three profiles of the ATM study's k-means.
pub const ATM_GROUPS: [&str; 3] = ["regular users", "frequent spenders", "occasional users"];

/// How one ATM segment behaves: share, transactions per month, average amount and age, each
/// `(mean, sd)`.
struct AtmProfile {
    share: f64,
    frequency: (f64, f64),
    amount: (f64, f64),
    age: (f64, f64),
}

/// Segment centres are several within-segment deviations apart on both standardised axes, so
/// standard scaling and k-means with k = 3 recover the segments.
const ATM_PROFILES: [AtmProfile; 3] = [
    AtmProfile {
        share: 0.5,
        frequency: (10.0, 2.0),
        amount: (60.0, 12.0),
        age: (42.0, 11.0),
    },
    AtmProfile {
        share: 0.2,
        frequency: (22.0, 3.0),
        amount: (110.0, 15.0),
        age: (34.0, 8.0),
    },
    AtmProfile {
        share: 0.3,
        frequency: (3.0, 1.0),
        amount: (25.0, 7.0),
        age: (55.0, 14.0),
    },
];

/// ATM customers of the modernisation study (study 002): `n_rows` rows of `CustomerID`
/// (`1..=n_rows`), `Age` (whole years, 18 to 90), `TransactionFrequency` (withdrawals per
/// month, one decimal, at least 0.5) and `AverageTransactionAmount` (two decimals, at least 1).
///
/// The study clustered the two transaction columns with `StandardScaler` and
/// `KMeans(n_clusters=3)`; see [`atm_customers_with_groups`] for why that works here.
///
/// # Errors
/// [`Error::InvalidParameter`] (`n_rows`) when `n_rows` is 0 or above one billion.
pub fn atm_customers(n_rows: usize, seed: u64) -> Result<Table> {
    atm_customers_with_groups(n_rows, seed).map(|(table, _)| table)
}

/// [`atm_customers`] with each row's segment (an index into [`ATM_GROUPS`], `0..3`).
///
/// Why it is learnable: about 50 % regular users (moderate frequency, average amounts), 20 %
/// frequent spenders (high frequency, above-average amounts) and 30 % occasional users (low
/// frequency, small amounts), whose centres lie several within-segment standard deviations
/// apart on both transaction columns, so standard scaling and k-means with k = 3 recover the
/// segments (adjusted Rand index above 0.8).
///
/// # Errors
/// As [`atm_customers`].
pub fn atm_customers_with_groups(n_rows: usize, seed: u64) -> Result<(Table, Vec<usize>)> {
    check_n_rows(n_rows)?;
    let shares = ATM_PROFILES.map(|p| p.share);
    let rows: Vec<(usize, [f64; 3])> = generate_rows(n_rows, seed, |rng, _| {
        let group = rng.weighted_index(&shares);
        let p = &ATM_PROFILES[group];
        let age = rng.normal_with(p.age.0, p.age.1).round().clamp(18.0, 90.0);
        let frequency = (rng.normal_with(p.frequency.0, p.frequency.1) * 10.0).round() / 10.0;
        let amount = rng.normal_with(p.amount.0, p.amount.1);
        (group, [age, frequency.max(0.5), cents(amount.max(1.0))])
    });
    let column = |j: usize| Column::Numeric(rows.iter().map(|(_, v)| v[j]).collect());
    let table = Table::from_columns(vec![
        (
            "CustomerID".to_string(),
            Column::Numeric((1..=n_rows).map(|id| id as f64).collect()),
        ),
        ("Age".to_string(), column(0)),
        ("TransactionFrequency".to_string(), column(1)),
        ("AverageTransactionAmount".to_string(), column(2)),
    ])?;
    Ok((table, rows.iter().map(|(g, _)| *g).collect()))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::table::ColumnType;

    fn numeric<'a>(t: &'a Table, name: &str) -> &'a [f64] {
        t.column(name).unwrap().as_numeric().unwrap()
    }

    fn strings(t: &Table, name: &str) -> Vec<Option<String>> {
        let c = t.column(name).unwrap();
        (0..t.n_rows()).map(|i| c.get_string(i)).collect()
    }

    fn share(flags: impl Iterator<Item = bool>) -> f64 {
        let (mut hits, mut total) = (0usize, 0usize);
        for f in flags {
            hits += usize::from(f);
            total += 1;
        }
        hits as f64 / total as f64
    }

    /// Rows equal, cell for cell, to an earlier row.
    fn duplicate_rows(t: &Table) -> usize {
        let mut seen = HashSet::new();
        (0..t.n_rows())
            .filter(|&i| {
                let key: Vec<Option<String>> =
                    t.columns().iter().map(|c| c.get_string(i)).collect();
                !seen.insert(key)
            })
            .count()
    }

    fn mean_sd(values: impl Iterator<Item = f64>) -> (f64, f64) {
        let v: Vec<f64> = values.collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
        (mean, var.sqrt())
    }

    /// How many pooled within-group standard deviations separate groups `a` and `b` on `name`.
    fn separation(t: &Table, groups: &[usize], name: &str, a: usize, b: usize) -> f64 {
        let x = numeric(t, name);
        let of = |g: usize| {
            mean_sd(
                (0..x.len())
                    .filter(|&i| groups[i] == g && x[i] != FREQUENCY_SENTINEL)
                    .map(|i| x[i]),
            )
        };
        let ((ma, sa), (mb, sb)) = (of(a), of(b));
        (ma - mb).abs() / ((sa * sa + sb * sb) / 2.0).sqrt()
    }

    fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(f)
    }

    const N: usize = 20_000;

    #[test]
    fn telco_has_the_studys_42_columns_and_types() {
        let t = telco_churn(N, 1).unwrap();
        assert_eq!((t.n_rows(), t.n_cols()), (N, 42));
        assert_eq!(&t.names()[..3], ["IMEI", "CHURN", "NUM_RECARGAS_M1"]);
        assert_eq!(t.names()[25], "NUM_CAMBIOS_PLAN");
        assert_eq!(t.names()[26], "ESTADO_CIVIL");
        assert_eq!(t.names()[35], "ARPU_PROMEDIO");
        assert_eq!(&t.names()[40..], ["FECHA_ACTIVACION", "DIRECCION"]);
        assert_eq!(t.names_of_type(ColumnType::Numeric).len(), 31);
        assert_eq!(
            t.names_of_type(ColumnType::Categorical),
            TELCO_CATEGORICAL.to_vec()
        );
        assert_eq!(
            t.names_of_type(ColumnType::Text),
            ["FECHA_ACTIVACION", "DIRECCION"]
        );
        let Column::Categorical(stores) = t.column("TIENDA").unwrap() else {
            panic!("TIENDA must be categorical");
        };
        assert_eq!(stores.levels().len(), 40);
        let Column::Categorical(regions) = t.column("REGION").unwrap() else {
            panic!("REGION must be categorical");
        };
        assert!(regions.levels().iter().any(|l| l == "JUNÍN"));
        assert!(regions.levels().iter().any(|l| l == "ÁNCASH"));
    }

    #[test]
    fn telco_values_look_like_the_source() {
        let t = telco_churn(N, 2).unwrap();
        let imeis = numeric(&t, "IMEI");
        for &v in imeis {
            assert!((3.5e14..3.6e14).contains(&v) && v.fract() == 0.0, "{v}");
            let v = v as u64;
            assert_eq!(luhn_check_digit(v / 10), v % 10, "{v}");
        }
        let distinct: HashSet<u64> = imeis.iter().map(|&v| v as u64).collect();
        assert_eq!(distinct.len(), N - 100, "one IMEI per customer");

        for name in TELCO_ORDINAL {
            assert!(
                numeric(&t, name)
                    .iter()
                    .all(|v| *v >= 0.0 && v.fract() == 0.0),
                "{name}"
            );
        }
        for name in TELCO_CONTINUOUS {
            let x = numeric(&t, name);
            assert!(x.iter().all(|v| v.is_nan() || cents(*v) == *v), "{name}");
        }
        let balance_missing = share(numeric(&t, "SALDO_PROMEDIO").iter().map(|v| v.is_nan()));
        assert!(
            (0.005..0.02).contains(&balance_missing),
            "{balance_missing}"
        );
        let employment = t.column("SITUACION_LABORAL").unwrap();
        let employment_missing = employment.missing_count() as f64 / N as f64;
        assert!(
            (0.01..0.03).contains(&employment_missing),
            "{employment_missing}"
        );

        // Dates are ISO, in range, and give back the tenure column.
        let day_of: std::collections::HashMap<String, u32> = (0..REFERENCE_DAY)
            .map(|d| {
                let mut s = String::new();
                push_date(&mut s, d);
                (s, d)
            })
            .collect();
        let tenure = numeric(&t, "ANTIGUEDAD_MESES");
        let dates = strings(&t, "FECHA_ACTIVACION");
        for (date, months) in dates.iter().zip(tenure) {
            let day = day_of[date.as_deref().unwrap()];
            assert_eq!(
                *months,
                (f64::from(REFERENCE_DAY - day) / DAYS_PER_MONTH).floor()
            );
        }
        assert!(dates.iter().collect::<HashSet<_>>().len() > 1000);

        // Addresses name a city of the customer's region.
        let regions = strings(&t, "REGION");
        for (address, region) in strings(&t, "DIRECCION").iter().zip(&regions).take(500) {
            let (address, region) = (address.as_deref().unwrap(), region.as_deref().unwrap());
            let r = REGIONS.iter().position(|x| *x == region).unwrap();
            assert!(
                address.ends_with(&format!(", {}", REGION_CITIES[r])),
                "{address}"
            );
            assert!(
                STREET_TYPES.iter().any(|s| address.starts_with(s)),
                "{address}"
            );
        }
    }

    #[test]
    fn telco_rates_sentinel_and_duplicates() {
        let t = telco_churn(N, 3).unwrap();
        let churn = numeric(&t, "CHURN");
        assert!(churn.iter().all(|&c| c == 0.0 || c == 1.0));
        let churn_rate = share(churn.iter().map(|&c| c == 1.0));
        assert!((0.20..=0.30).contains(&churn_rate), "{churn_rate}");
        let sentinel = share(
            numeric(&t, "DIAS_FRECUENCIA_RECARGA")
                .iter()
                .map(|&v| v == FREQUENCY_SENTINEL),
        );
        assert!((0.02..=0.05).contains(&sentinel), "{sentinel}");
        assert_eq!(duplicate_rows(&t), (N as f64 * 0.005).round() as usize);
        // Small tables round the duplicate count too, and never exceed n_rows.
        let small = telco_churn(301, 3).unwrap();
        assert_eq!(small.n_rows(), 301);
        assert_eq!(duplicate_rows(&small), 2);
        assert_eq!(telco_churn(1, 3).unwrap().n_rows(), 1);
    }

    #[test]
    fn telco_duplicates_follow_groups_and_positions() {
        let mut rng = CarteraRng::seed_from_u64(5);
        let order = order_with_duplicates(&mut rng, 995, 1000);
        assert_eq!(order.len(), 1000);
        let mut counts = vec![0; 995];
        for &r in &order {
            counts[r] += 1;
        }
        assert!(counts.iter().all(|&c| c == 1 || c == 2));
        assert_eq!(counts.iter().filter(|&&c| c == 2).count(), 5);
        // Base customers keep their order around the inserted copies.
        let firsts: Vec<usize> = {
            let mut seen = HashSet::new();
            order.iter().copied().filter(|r| seen.insert(*r)).collect()
        };
        assert_ne!(
            firsts,
            (0..995).collect::<Vec<_>>(),
            "copies are spread out"
        );

        let (t, groups) = telco_churn_with_groups(N, 4).unwrap();
        assert_eq!(groups.len(), N);
        let imei = numeric(&t, "IMEI");
        let mut group_of = std::collections::HashMap::new();
        for (i, &g) in groups.iter().enumerate() {
            assert_eq!(*group_of.entry(imei[i] as u64).or_insert(g), g);
        }
    }

    #[test]
    fn telco_churn_is_learnable_from_thresholds_and_interactions() {
        let t = telco_churn(N, 6).unwrap();
        let churn = numeric(&t, "CHURN");
        let days = numeric(&t, "DIAS_DESDE_ULTIMA_RECARGA");
        let rate_where = |keep: &dyn Fn(usize) -> bool| {
            share((0..N).filter(|&i| keep(i)).map(|i| churn[i] == 1.0))
        };
        let lapsed = rate_where(&|i| days[i] > 30.0);
        let active = rate_where(&|i| days[i] <= 30.0);
        assert!(lapsed > 0.6 && active < 0.25, "{lapsed} vs {active}");

        // New customers who complain churn; loyal ones who complain do not.
        let complaints = numeric(&t, "NUM_RECLAMOS");
        let tenure = numeric(&t, "ANTIGUEDAD_MESES");
        let new_unhappy = rate_where(&|i| complaints[i] >= 3.0 && tenure[i] < 12.0);
        let old_unhappy = rate_where(&|i| complaints[i] >= 3.0 && tenure[i] >= 48.0);
        assert!(
            new_unhappy > old_unhappy + 0.3,
            "{new_unhappy} vs {old_unhappy}"
        );

        // Non-monotone ARPU: the middle band churns less than both sides.
        let arpu = numeric(&t, "ARPU_PROMEDIO");
        let low = rate_where(&|i| arpu[i] < 25.0);
        let mid = rate_where(&|i| (25.0..=60.0).contains(&arpu[i]));
        let high = rate_where(&|i| arpu[i] > 60.0);
        assert!(mid + 0.1 < low && mid + 0.05 < high, "{low} {mid} {high}");

        // A few stores churn far more than the rest.
        let stores = strings(&t, "TIENDA");
        let risky = rate_where(&|i| matches!(stores[i].as_deref(), Some("T07" | "T19" | "T33")));
        let other = rate_where(&|i| !matches!(stores[i].as_deref(), Some("T07" | "T19" | "T33")));
        assert!(risky > other + 0.15, "{risky} vs {other}");
    }

    #[test]
    fn telco_groups_are_separated_on_the_behaviour_columns() {
        let (t, groups) = telco_churn_with_groups(N, 7).unwrap();
        let shares: Vec<f64> = (0..4)
            .map(|g| share(groups.iter().map(|&x| x == g)))
            .collect();
        for (got, want) in shares.iter().zip([0.20, 0.30, 0.15, 0.35]) {
            assert!((got - want).abs() < 0.02, "{shares:?}");
        }
        let (heavy, cautious, international, standard) = (0, 1, 2, 3);
        for name in [
            "NUM_RECARGAS_M1",
            "NUM_RECARGAS_M2",
            "MONTO_RECARGAS_M1",
            "DIAS_FRECUENCIA_RECARGA",
        ] {
            let s = separation(&t, &groups, name, heavy, cautious);
            assert!(s > 3.0, "{name}: {s}");
        }
        for name in [
            "MIN_LLAMADAS_INTERNACIONALES",
            "NUM_SMS_INTERNACIONALES",
            "DIAS_ROAMING",
            "GASTO_INTERNACIONAL",
        ] {
            for other in [heavy, cautious, standard] {
                let s = separation(&t, &groups, name, international, other);
                assert!(s > 2.0, "{name} vs group {other}: {s}");
            }
        }
        let s = separation(&t, &groups, "NUM_RECARGAS_M1", heavy, standard);
        assert!(s > 2.5, "{s}");
    }

    #[test]
    fn generators_are_deterministic_across_seeds_and_threads() {
        // More than two blocks, so that the blocks really run on several threads.
        let n = 2 * BLOCK_ROWS + 123;
        let one = with_threads(1, || telco_churn_with_groups(n, 11).unwrap());
        let four = with_threads(4, || telco_churn_with_groups(n, 11).unwrap());
        assert!(one == four, "telco depends on the thread count");
        assert_ne!(telco_churn(n, 12).unwrap(), one.0);

        let one = with_threads(1, || bank_customers(n, 11).unwrap());
        let four = with_threads(4, || bank_customers(n, 11).unwrap());
        assert_eq!(one, four);
        assert_ne!(bank_customers(n, 12).unwrap(), one);

        let one = with_threads(1, || atm_customers_with_groups(n, 11).unwrap());
        let four = with_threads(4, || atm_customers_with_groups(n, 11).unwrap());
        assert!(one == four, "atm depends on the thread count");
        assert_ne!(atm_customers(n, 12).unwrap(), one.0);
    }

    #[test]
    fn bank_has_the_uci_columns_and_dependencies() {
        let t = bank_customers(N, 8).unwrap();
        let names = [
            "age",
            "job",
            "marital",
            "education",
            "default",
            "balance",
            "housing",
            "loan",
            "contact",
            "duration",
            "campaign",
            "pdays",
            "previous",
            "poutcome",
            "y",
        ];
        assert_eq!(t.names(), names);
        assert_eq!(
            t.numeric_names(),
            [
                "age", "balance", "duration", "campaign", "pdays", "previous"
            ]
        );
        let Column::Categorical(jobs) = t.column("job").unwrap() else {
            panic!("job must be categorical");
        };
        assert_eq!(jobs.levels().len(), 12);
        let y: Vec<bool> = strings(&t, "y")
            .iter()
            .map(|v| v.as_deref() == Some("yes"))
            .collect();
        let rate = share(y.iter().copied());
        assert!((0.09..=0.13).contains(&rate), "{rate}");

        let age = numeric(&t, "age");
        let job = strings(&t, "job");
        let mean_age = |j: &str| {
            mean_sd(
                (0..N)
                    .filter(|&i| job[i].as_deref() == Some(j))
                    .map(|i| age[i]),
            )
            .0
        };
        assert!(mean_age("student") + 20.0 < mean_age("retired"));

        let pdays = numeric(&t, "pdays");
        let previous = numeric(&t, "previous");
        let poutcome = strings(&t, "poutcome");
        for i in 0..N {
            let never = pdays[i] == -1.0;
            assert_eq!(never, previous[i] == 0.0);
            assert_eq!(never, poutcome[i].as_deref() == Some("unknown"));
        }
        assert!(numeric(&t, "campaign").iter().all(|&c| c >= 1.0));
        assert!(numeric(&t, "balance").iter().any(|&b| b < 0.0));

        let rate_where =
            |keep: &dyn Fn(usize) -> bool| share((0..N).filter(|&i| keep(i)).map(|i| y[i]));
        let success = rate_where(&|i| poutcome[i].as_deref() == Some("success"));
        assert!(success > 2.0 * rate, "{success}");
        let duration = numeric(&t, "duration");
        assert!(rate_where(&|i| duration[i] > 400.0) > 2.0 * rate_where(&|i| duration[i] < 150.0));
    }

    #[test]
    fn atm_segments_have_the_studys_profiles() {
        let (t, groups) = atm_customers_with_groups(N, 9).unwrap();
        assert_eq!(
            t.names(),
            [
                "CustomerID",
                "Age",
                "TransactionFrequency",
                "AverageTransactionAmount"
            ]
        );
        assert_eq!(numeric(&t, "CustomerID")[N - 1], N as f64);
        for (g, want) in [0.5, 0.2, 0.3].into_iter().enumerate() {
            let got = share(groups.iter().map(|&x| x == g));
            assert!((got - want).abs() < 0.02, "group {g}: {got}");
        }
        let frequency = numeric(&t, "TransactionFrequency");
        let amount = numeric(&t, "AverageTransactionAmount");
        assert!(
            frequency
                .iter()
                .all(|&f| f > 0.0 && (f * 10.0).round() / 10.0 == f)
        );
        let profile =
            |x: &[f64], g: usize| mean_sd((0..N).filter(|&i| groups[i] == g).map(|i| x[i]));
        let (regular, spenders, occasional) = (0, 1, 2);
        for x in [frequency, amount] {
            let (r, s, o) = (
                profile(x, regular),
                profile(x, spenders),
                profile(x, occasional),
            );
            assert!(s.0 - r.0 > 2.0 * (r.1 + s.1) / 2.0, "{s:?} vs {r:?}");
            assert!(r.0 - o.0 > 2.0 * (r.1 + o.1) / 2.0, "{r:?} vs {o:?}");
        }
    }

    /// String columns are typed by the CSV reader's rule, so a generated table survives a CSV
    /// round trip unchanged (types, levels, missing values, cents, 15-digit IMEIs).
    #[test]
    fn generated_tables_survive_a_csv_round_trip() {
        let tables = [
            telco_churn(3_000, 10).unwrap(),
            bank_customers(3_000, 10).unwrap(),
            atm_customers(1_000, 10).unwrap(),
        ];
        for table in tables {
            let mut csv = Vec::new();
            table.write_csv_to(&mut csv).unwrap();
            let back = Table::read_csv_bytes(&csv, "generated.csv", &crate::CsvOptions::default())
                .unwrap();
            assert_eq!(back.names(), table.names());
            for (name, (a, b)) in table
                .names()
                .iter()
                .zip(back.columns().iter().zip(table.columns()))
            {
                assert!(a == b, "column {name} changed in the round trip");
            }
        }
    }

    #[test]
    fn zero_or_absurd_row_counts_are_invalid_parameters() {
        let is_n_rows_error =
            |e: Error| matches!(e, Error::InvalidParameter { ref name, .. } if name == "n_rows");
        assert!(is_n_rows_error(telco_churn(0, 0).unwrap_err()));
        assert!(is_n_rows_error(telco_churn_with_groups(0, 0).unwrap_err()));
        assert!(is_n_rows_error(bank_customers(0, 0).unwrap_err()));
        assert!(is_n_rows_error(atm_customers(0, 0).unwrap_err()));
        assert!(is_n_rows_error(
            atm_customers_with_groups(0, 0).unwrap_err()
        ));
        assert!(is_n_rows_error(telco_churn(usize::MAX, 0).unwrap_err()));
        assert!(is_n_rows_error(bank_customers(usize::MAX, 0).unwrap_err()));
    }

    #[test]
    fn helpers_write_dates_and_check_digits() {
        let date = |d: u32| {
            let mut s = String::new();
            push_date(&mut s, d);
            s
        };
        assert_eq!(date(0), "2018-01-01");
        assert_eq!(date(365 + 365 + 31 + 28), "2020-02-29");
        assert_eq!(date(REFERENCE_DAY - 1), "2023-12-31");
        // The textbook IMEI 49015420323751-8.
        assert_eq!(luhn_check_digit(49_015_420_323_751), 8);
        let mut s = String::new();
        push_padded(&mut s, 7, 3);
        push_padded(&mut s, 1234, 1);
        assert_eq!(s, "0071234");
        let mut rng = CarteraRng::seed_from_u64(1);
        let mean = (0..20_000).map(|_| poisson(&mut rng, 2.5)).sum::<f64>() / 20_000.0;
        assert!((mean - 2.5).abs() < 0.05, "{mean}");
        let scores = [-3.0, 0.0, 1.0, 4.0];
        let b = calibrate_intercept(&scores, 0.25);
        let mean = scores.iter().map(|s| sigmoid(b + s)).sum::<f64>() / 4.0;
        assert!((mean - 0.25).abs() < 1e-9);
    }
}
