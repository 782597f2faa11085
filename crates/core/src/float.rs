//! The [`Float`] trait: one bound for kernels written once for `f32` and `f64`.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

use ndarray::{LinalgScalar, ScalarOperand};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A floating-point element type cartera kernels accept: implemented for `f32` and `f64`.
///
/// It extends [`num_traits::Float`] with what ndarray, rayon and serde need, so a kernel
/// written as `fn kernel<F: Float>(x: ArrayView2<F>)` compiles to a real f32 kernel (half the
/// memory traffic) and a real f64 kernel from one source.
///
/// ```
/// use cartera_core::Float;
/// fn mean<F: Float>(xs: &[F]) -> F {
///     xs.iter().copied().sum::<F>() / F::cast_from_f64(xs.len() as f64)
/// }
/// assert_eq!(mean(&[1.0f32, 2.0, 3.0]), 2.0);
/// assert_eq!(mean(&[1.0f64, 2.0]), 1.5);
/// ```
pub trait Float:
    num_traits::Float
    + num_traits::FromPrimitive
    + LinalgScalar
    + ScalarOperand
    + Send
    + Sync
    + Debug
    + Display
    + Default
    + Sum
    + for<'a> Sum<&'a Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Serialize
    + DeserializeOwned
    + 'static
{
    /// Name of the type (`"f32"` or `"f64"`), used in messages and model files.
    const NAME: &'static str;

    /// Convert from `f64`, rounding to nearest for `f32` (never fails; out-of-range becomes ±inf).
    fn cast_from_f64(x: f64) -> Self;

    /// Widen to `f64` (exact for both implementations).
    fn as_f64(self) -> f64;

    /// `self * a + b` rounded once (a fused multiply-add).
    ///
    /// Always inlined, unlike `num_traits::Float::mul_add`: inside a function compiled with the
    /// `fma` target feature the compiler can then vectorise a loop of them into packed FMA
    /// instructions. Elsewhere it is a slow software routine, so kernels call it only from code
    /// built for FMA.
    fn fused_mul_add(self, a: Self, b: Self) -> Self;
}

impl Float for f32 {
    const NAME: &'static str = "f32";
    #[inline(always)]
    fn cast_from_f64(x: f64) -> Self {
        x as f32
    }
    #[inline(always)]
    fn as_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn fused_mul_add(self, a: Self, b: Self) -> Self {
        self.mul_add(a, b)
    }
}

impl Float for f64 {
    const NAME: &'static str = "f64";
    #[inline(always)]
    fn cast_from_f64(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn as_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn fused_mul_add(self, a: Self, b: Self) -> Self {
        self.mul_add(a, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip<F: Float>(x: f64) -> f64 {
        F::cast_from_f64(x).as_f64()
    }

    #[test]
    fn conversions() {
        assert_eq!(roundtrip::<f64>(0.1), 0.1);
        assert_eq!(roundtrip::<f32>(0.5), 0.5);
        assert!(roundtrip::<f32>(1e300).is_infinite());
        assert_eq!(<f32 as Float>::NAME, "f32");
    }
}
