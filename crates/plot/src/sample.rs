//! Deterministic downsampling, so that a chart of hundreds of thousands of customers stays a
//! small SVG while every segment keeps its share.

use std::collections::BTreeMap;

/// How many of each group's `sizes[g]` members to keep so that the total is at most `budget`:
/// every non-empty group keeps at least one, the rest is shared in proportion to size
/// (rounded down), and no group keeps more than it has.
pub(crate) fn quotas(sizes: &[usize], budget: usize) -> Vec<usize> {
    let n: usize = sizes.iter().sum();
    if n <= budget {
        return sizes.to_vec();
    }
    let groups = sizes.iter().filter(|&&s| s > 0).count();
    if budget <= groups {
        // Too small a budget to show every group: the largest ones (ties: lower index) get one.
        let mut order: Vec<usize> = (0..sizes.len()).filter(|&g| sizes[g] > 0).collect();
        order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
        let mut q = vec![0; sizes.len()];
        for &g in order.iter().take(budget) {
            q[g] = 1;
        }
        return q;
    }
    let shared = (budget - groups) as u128;
    sizes
        .iter()
        .map(|&s| {
            if s == 0 {
                0
            } else {
                // u128: budget * size cannot overflow, and the result is <= shared.
                let extra = (shared * s as u128 / n as u128) as usize;
                (1 + extra).min(s)
            }
        })
        .collect()
}

/// `q` evenly spaced positions in `0..n`, each at the centre of its stride, ascending.
pub(crate) fn spaced(n: usize, q: usize) -> impl Iterator<Item = usize> {
    let q = q.min(n);
    // (2j + 1) n / (2q) < n for j < q; u128 keeps the product exact.
    (0..q).map(move |j| ((2 * j as u128 + 1) * n as u128 / (2 * q as u128)) as usize)
}

/// Rows to draw when at most `max_points` of `labels.len()` points may be drawn: a stratified
/// sample that keeps every segment's share (at least one point per segment when the budget
/// allows), evenly spaced within each segment, returned in ascending row order.
///
/// All rows when `labels.len() <= max_points`. Deterministic: no RNG, the same labels always
/// give the same rows.
///
/// ```
/// let labels: Vec<usize> = (0..10_000).map(|i| if i % 100 == 0 { 1 } else { 0 }).collect();
/// let rows = cartera_plot::stratified_sample(&labels, 1_000);
/// assert!(rows.len() <= 1_000);
/// // The small segment (1% of rows) keeps about 1% of the sample.
/// let small = rows.iter().filter(|&&r| labels[r] == 1).count();
/// assert!((9..=11).contains(&small));
/// assert!(rows.windows(2).all(|w| w[0] < w[1]));
/// ```
pub fn stratified_sample(labels: &[usize], max_points: usize) -> Vec<usize> {
    if labels.len() <= max_points {
        return (0..labels.len()).collect();
    }
    // BTreeMap: labels may be sparse (e.g. cluster ids 0 and 1_000), and its order is fixed.
    let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, &l) in labels.iter().enumerate() {
        members.entry(l).or_default().push(i);
    }
    let sizes: Vec<usize> = members.values().map(Vec::len).collect();
    let q = quotas(&sizes, max_points);
    let mut rows: Vec<usize> = members
        .values()
        .zip(q)
        .flat_map(|(m, q)| spaced(m.len(), q).map(|j| m[j]))
        .collect();
    rows.sort_unstable();
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_keep_everything_under_budget() {
        assert_eq!(quotas(&[3, 0, 5], 10), vec![3, 0, 5]);
    }

    #[test]
    fn quotas_respect_budget_and_keep_small_groups() {
        let q = quotas(&[100_000, 10, 0, 50_000], 1_000);
        assert!(q.iter().sum::<usize>() <= 1_000);
        assert_eq!(q[2], 0);
        assert!(q[1] >= 1);
        // Proportional: the first group gets about twice the last.
        assert!((q[0] as f64 / q[3] as f64 - 2.0).abs() < 0.05, "{q:?}");
    }

    #[test]
    fn quotas_with_a_budget_below_the_groups_favour_the_largest() {
        assert_eq!(quotas(&[5, 50, 20], 2), vec![0, 1, 1]);
    }

    #[test]
    fn spaced_positions_are_distinct_and_inside() {
        let p: Vec<usize> = spaced(10, 3).collect();
        assert_eq!(p, vec![1, 5, 8]);
        assert_eq!(spaced(4, 9).collect::<Vec<_>>(), vec![0, 1, 2, 3]);
        assert_eq!(spaced(0, 3).count(), 0);
    }

    #[test]
    fn stratified_sample_is_bounded_sorted_and_covers_every_segment() {
        let labels: Vec<usize> = (0..371_589).map(|i| (i * 7 % 13) % 4).collect();
        let rows = stratified_sample(&labels, 5_000);
        assert!(rows.len() <= 5_000 && rows.len() > 4_900, "{}", rows.len());
        assert!(rows.windows(2).all(|w| w[0] < w[1]));
        for s in 0..4 {
            assert!(rows.iter().any(|&r| labels[r] == s));
        }
        assert_eq!(rows, stratified_sample(&labels, 5_000));
    }
}
