// A Zipf sampler draws ranks 1..n with probability proportional to 1 / k^s in constant time and
// memory, by rejection-inversion (W. Hörmann, G. Derflinger, "Rejection-inversion to generate
// variates from monotone discrete distributions", ACM TOMACS 6(3), 1996).
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace tally {

// Immutable after construction, so one sampler may be shared by threads that bring their own
// uniform source.
class ZipfSampler {
public:
    // n >= 1 ranks; exponent s >= 0 (0 is uniform, and 1 needs no special case).
    ZipfSampler(uint64_t n, double exponent)
        : m_n(n), m_exponent(exponent), m_oneMinusExponent(1.0 - exponent),
          m_inverseOneMinusExponent(exponent == 1.0 ? 0.0 : 1.0 / (1.0 - exponent))
    {
        if (n == 0 || !(exponent >= 0) || !std::isfinite(exponent))
            throw std::invalid_argument("ZipfSampler: needs n >= 1 and a finite exponent >= 0");
        m_hIntegralX1 = hIntegral(1.5) - 1.0;
        m_hIntegralN = hIntegral(static_cast<double>(n) + 0.5);
        m_squeeze = 2.0 - hIntegralInverse(hIntegral(2.5) - h(2.0));
    }

    uint64_t size() const { return m_n; }
    double exponent() const { return m_exponent; }

    // `uniform01()` must return doubles in [0, 1). Rejection is rare (under 2% of samples for
    // exponents from 0.01 to 20), so a sample costs about one uniform, one log and one exp.
    template <typename Uniform01>
    uint64_t operator()(Uniform01 &&uniform01) const
    {
        for (;;) {
            // u is uniform in (hIntegral(1.5) - 1, hIntegral(n + 0.5)]: the area under the hat.
            const double u = m_hIntegralN + uniform01() * (m_hIntegralX1 - m_hIntegralN);
            const double x = hIntegralInverse(u);
            const double rounded = x + 0.5;
            uint64_t k;
            if (!(rounded >= 1.0)) // also catches NaN, so a numerical accident cannot escape the range
                k = 1;
            else if (rounded >= static_cast<double>(m_n))
                k = m_n;
            else
                k = static_cast<uint64_t>(rounded);
            const double kd = static_cast<double>(k);
            // The squeeze accepts most samples without evaluating the exact bound.
            if (kd - x <= m_squeeze || u >= hIntegral(kd + 0.5) - h(kd))
                return k;
        }
    }

private:
    // h(x) = x^-s, the continuous density the hat is built from.
    double h(double x) const { return std::exp(-m_exponent * std::log(x)); }

    // H(x) = integral of h from 1 to x, written so that s = 1 (where it is log x) is not special.
    double hIntegral(double x) const
    {
        const double logX = std::log(x);
        return expm1OverX((1.0 - m_exponent) * logX) * logX;
    }

    // exp(log1p(t) / t * x) with t = x (1 - s). Away from t = 0 the quotient x / t is the
    // constant 1 / (1 - s), and log(1 + t) is as good as log1p(t) (relative error below 1e-13)
    // at a fraction of its cost; this is the one evaluation every sample pays for.
    double hIntegralInverse(double x) const
    {
        double t = x * m_oneMinusExponent;
        if (t < -1.0) // rounding can push t just past the pole of log1p
            t = -1.0;
        if (std::abs(t) > 1e-3)
            return std::exp(std::log(1.0 + t) * m_inverseOneMinusExponent);
        return std::exp(log1pOverX(t) * x);
    }

    // log1p(x) / x and expm1(x) / x, with their Taylor series near 0 where the quotient would
    // lose every digit.
    static double log1pOverX(double x)
    {
        if (std::abs(x) > 1e-8)
            return std::log1p(x) / x;
        return 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
    }
    static double expm1OverX(double x)
    {
        if (std::abs(x) > 1e-8)
            return std::expm1(x) / x;
        return 1.0 + x * 0.5 * (1.0 + x * (1.0 / 3.0) * (1.0 + 0.25 * x));
    }

    uint64_t m_n;
    double m_exponent;
    double m_oneMinusExponent;
    double m_inverseOneMinusExponent; // unused when the exponent is 1: t is then always 0
    double m_hIntegralX1 = 0;
    double m_hIntegralN = 0;
    double m_squeeze = 0;
};

} // namespace tally
