// The state at which Bayes-softmax (one softmax over every head and token)
// is the Bayes posterior mean of a discrete prior (DESIGN §2): a start for
// the gradient flow that tells "the activation can reach the Bayes risk"
// apart from "the flow does not find it from random starts".
#pragma once

#include <attnlab/framework/theory/order_parameters.hpp>

#include <cstdint>
#include <vector>

namespace attnlab {

// Head h serves support point j = h mod J (J = support.size()): key
// k_h = sum_f theta_{j,f} k*_f, value v_h = v*, bias
// log(pi_j / n_j) - |theta_j|^2 / 2 where n_j heads share point j, so the
// heads of a point add up to that point's posterior weight. Weights need
// not be normalized. Throws UsageError when heads < J, when a support point
// has another length than the first, or when a weight is not positive.
OrderParameters bayes_point(const std::vector<std::vector<double>>& support, const std::vector<double>& weights,
                            std::uint32_t heads);

}  // namespace attnlab
