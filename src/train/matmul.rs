//! Matrix products on flat row-major buffers, through the `gemm` crate on the calling thread.
//!
//! [`View`] reads a row-major buffer as a matrix or as its transpose (a transpose is a change of
//! strides, never a copy); [`multiply`] writes `a b` into a row-major destination. Every product
//! runs with `gemm::Parallelism::None`: a result never depends on how many threads there are.
//!
//! The strides passed to gemm are the ones dfdx 0.13 passes for the same product (the network
//! used dfdx's matrix product before), so a product here is bit for bit the one dfdx computed.

/// A read-only matrix over a row-major buffer: the buffer itself, or its transpose.
#[derive(Clone, Copy, Debug)]
pub(crate) struct View<'a> {
    data: &'a [f32],
    /// Rows of the matrix as read (after any transposition).
    rows: usize,
    /// Columns of the matrix as read.
    cols: usize,
    /// Whether `data` holds the transpose (`cols x rows`, row-major) of the matrix read.
    transposed: bool,
}

impl<'a> View<'a> {
    /// `data` as a `rows x cols` row-major matrix.
    ///
    /// # Panics
    /// If `data` does not hold exactly `rows * cols` values.
    pub(crate) fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        assert_eq!(
            Some(data.len()),
            rows.checked_mul(cols),
            "a {rows} x {cols} matrix needs {} values",
            rows.saturating_mul(cols)
        );
        View {
            data,
            rows,
            cols,
            transposed: false,
        }
    }

    /// The transpose, reading the same buffer.
    pub(crate) fn t(self) -> Self {
        View {
            rows: self.cols,
            cols: self.rows,
            transposed: !self.transposed,
            ..self
        }
    }

    /// `(row stride, column stride)` of the matrix as read, in elements.
    fn strides(&self) -> (isize, isize) {
        // Row-major storage of `stored_rows x stored_cols`: (stored_cols, 1).
        let (rows, cols) = (self.rows as isize, self.cols as isize);
        if self.transposed {
            (1, rows)
        } else {
            (cols, 1)
        }
    }

    /// The value at row `i`, column `j` (for the reference product of the tests).
    #[cfg(test)]
    fn at(&self, i: usize, j: usize) -> f32 {
        let (rs, cs) = self.strides();
        self.data[i * rs as usize + j * cs as usize]
    }
}

/// `dst = a b`, with `dst` row-major, `a.rows x b.cols`.
///
/// # Panics
/// If the inner dimensions differ or `dst` does not hold `a.rows * b.cols` values.
pub(crate) fn multiply(dst: &mut [f32], a: View<'_>, b: View<'_>) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(
        k, b.rows,
        "inner dimensions differ: {m} x {k} times {} x {n}",
        b.rows
    );
    assert_eq!(dst.len(), m * n, "the product needs {m} x {n} values");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        dst.fill(0.0);
        return;
    }
    let (a_rs, a_cs) = a.strides();
    let (b_rs, b_cs) = b.strides();
    // SAFETY: gemm reads `a` at `i * a_rs + p * a_cs` for `i < m`, `p < k`, which is within
    // `a.data` (`m * k` values, asserted by `View::new`, with the strides of a row-major
    // `m x k` or `k x m` buffer); the same holds for `b` (`k x n`), and it writes `dst` at
    // `i * n + j` for `i < m`, `j < n`, within `dst` (`m * n` values, asserted above). The three
    // buffers do not overlap: `dst` is borrowed mutably while `a` and `b` are shared borrows.
    // `read_dst = false` means `dst`'s prior contents are never read (alpha is then unused).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.data.as_ptr(),
            a_cs,
            a_rs,
            b.data.as_ptr(),
            b_cs,
            b_rs,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The textbook triple loop, in f64.
    fn reference(a: View<'_>, b: View<'_>) -> Vec<f64> {
        let mut c = vec![0.0f64; a.rows * b.cols];
        for i in 0..a.rows {
            for j in 0..b.cols {
                c[i * b.cols + j] = (0..a.cols)
                    .map(|p| f64::from(a.at(i, p)) * f64::from(b.at(p, j)))
                    .sum();
            }
        }
        c
    }

    #[test]
    fn products_of_every_transposition_match_the_textbook_loop() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        // Sizes around the kernels' tiles (8, 16, 24 rows; 4 columns) and odd ones.
        let sizes = [1, 3, 7, 8, 17, 24, 33, 64, 129];
        for _ in 0..60 {
            let m = sizes[rng.gen_range(0..sizes.len())];
            let k = sizes[rng.gen_range(0..sizes.len())];
            let n = sizes[rng.gen_range(0..sizes.len())];
            let a_data: Vec<f32> = (0..m * k).map(|_| rng.gen_range(-1.0..1.0)).collect();
            let b_data: Vec<f32> = (0..k * n).map(|_| rng.gen_range(-1.0..1.0)).collect();
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let a = if ta {
                    View::new(&a_data, k, m).t()
                } else {
                    View::new(&a_data, m, k)
                };
                let b = if tb {
                    View::new(&b_data, n, k).t()
                } else {
                    View::new(&b_data, k, n)
                };
                let mut c = vec![f32::NAN; m * n];
                multiply(&mut c, a, b);
                for (got, want) in c.iter().zip(reference(a, b)) {
                    assert!(
                        (f64::from(*got) - want).abs() < 1e-4 * (1.0 + k as f64).sqrt(),
                        "{m}x{k}x{n} ({ta}, {tb}): {got} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn empty_inner_dimension_gives_zeros() {
        let mut c = vec![1.0f32; 6];
        multiply(&mut c, View::new(&[], 2, 0), View::new(&[], 0, 3));
        assert_eq!(c, vec![0.0; 6]);
    }

    #[test]
    #[should_panic(expected = "inner dimensions differ")]
    fn mismatched_shapes_panic() {
        multiply(
            &mut [0.0; 4],
            View::new(&[0.0; 6], 2, 3),
            View::new(&[0.0; 4], 2, 2),
        );
    }
}
