//! Pareto dominance, non-dominated sorting and crowding distance (Deb et al. 2002), on score
//! vectors where larger is better.

/// Whether `a` dominates `b`: no worse in every score and better in one.
pub(crate) fn dominates(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x >= y) && a.iter().zip(b).any(|(x, y)| x > y)
}

/// Indices of `points` grouped into fronts: front 0 is non-dominated, front 1 is non-dominated
/// once front 0 is removed, and so on. Within a front indices are ascending.
pub fn fronts(points: &[Vec<f64>]) -> Vec<Vec<usize>> {
    let n = points.len();
    let mut dominated_by = vec![0usize; n];
    let mut dominates_list: Vec<Vec<usize>> = vec![Vec::new(); n];
    for i in 0..n {
        for j in 0..n {
            if i != j && dominates(&points[i], &points[j]) {
                dominates_list[i].push(j);
            } else if i != j && dominates(&points[j], &points[i]) {
                dominated_by[i] += 1;
            }
        }
    }
    let mut result = Vec::new();
    let mut current: Vec<usize> = (0..n).filter(|&i| dominated_by[i] == 0).collect();
    while !current.is_empty() {
        let mut next = Vec::new();
        for &i in &current {
            for &j in &dominates_list[i] {
                dominated_by[j] -= 1;
                if dominated_by[j] == 0 {
                    next.push(j);
                }
            }
        }
        next.sort_unstable();
        result.push(current);
        current = next;
    }
    result
}

/// Crowding distance of each member of one front (same order as `front`): the sum over scores
/// of the normalised gap between its neighbours; boundary points get infinity.
pub(crate) fn crowding(points: &[Vec<f64>], front: &[usize]) -> Vec<f64> {
    let mut distance = vec![0.0; front.len()];
    if front.is_empty() {
        return distance;
    }
    // Score vectors all have one entry per objective; a hand-edited file may break that, so
    // only the dimensions every member has are compared.
    let dims = front.iter().map(|&i| points[i].len()).min().unwrap_or(0);
    #[allow(clippy::needless_range_loop)] // `d` indexes the inner vectors, not `points`
    for d in 0..dims {
        let mut order: Vec<usize> = (0..front.len()).collect();
        order.sort_by(|&a, &b| points[front[a]][d].total_cmp(&points[front[b]][d]));
        let first = order[0];
        let last = order[order.len() - 1];
        let lo = points[front[first]][d];
        let hi = points[front[last]][d];
        distance[first] = f64::INFINITY;
        distance[last] = f64::INFINITY;
        if hi > lo {
            for k in 1..order.len().saturating_sub(1) {
                let gap = points[front[order[k + 1]]][d] - points[front[order[k - 1]]][d];
                distance[order[k]] += gap / (hi - lo);
            }
        }
    }
    distance
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fronts_sort_by_dominance() {
        let p = vec![
            vec![1.0, 1.0],
            vec![2.0, 0.0],
            vec![0.0, 2.0],
            vec![0.5, 0.5],
            vec![0.0, 0.0],
        ];
        let f = fronts(&p);
        assert_eq!(f, vec![vec![0, 1, 2], vec![3], vec![4]]);
        assert!(dominates(&p[0], &p[3]));
        assert!(!dominates(&p[1], &p[2]));
        assert!(!dominates(&p[0], &p[0]));
    }

    #[test]
    fn crowding_favours_boundaries_and_sparse_regions() {
        // Points 1 and 2 are close together; 1 has the wider gap around it.
        let p = vec![
            vec![0.0, 3.0],
            vec![1.0, 2.0],
            vec![1.2, 1.8],
            vec![3.0, 0.0],
        ];
        let d = crowding(&p, &[0, 1, 2, 3]);
        assert!(d[0].is_infinite() && d[3].is_infinite());
        assert!(d[1].is_finite() && d[2].is_finite());
        assert!(d[2] > d[1], "{d:?}");
    }

    #[test]
    fn crowding_of_ragged_score_vectors_compares_the_common_dimensions() {
        // Score vectors of different lengths (a hand-edited checkpoint) once indexed out of range.
        let p = vec![vec![0.0, 3.0], vec![1.0], vec![3.0, 0.0, 5.0]];
        let d = crowding(&p, &[0, 1, 2]);
        assert!(d[0].is_infinite() && d[2].is_infinite());
        assert_eq!(d[1], 1.0);
        assert_eq!(fronts(&p).concat().len(), 3);
    }
}
