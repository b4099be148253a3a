#include <attnlab/framework/analysis/head_roles.hpp>
#include <attnlab/framework/common/errors.hpp>

namespace attnlab {

HeadRoles classify_heads(const RefitPruningCurve& curve, double full_error, double tolerance, double unused_share) {
  const std::size_t heads = curve.output_mean_square.size();
  if (curve.single_removal_error.size() != heads) throw UsageError("a refit curve with inconsistent head counts");
  HeadRoles roles;
  roles.unused.assign(heads, 0);
  roles.redundant.assign(heads, 0);
  for (std::size_t h = 0; h < heads; ++h) {
    if (curve.output_mean_square[h] < unused_share * curve.label_mean_square) {
      roles.unused[h] = 1;
      ++roles.unused_count;
    } else if (curve.single_removal_error[h] <= (1.0 + tolerance) * full_error) {
      roles.redundant[h] = 1;
      ++roles.redundant_count;
    }
  }
  return roles;
}

std::uint32_t heads_the_prior_needs(const std::vector<double>& mean, const std::vector<double>& std) {
  if (mean.size() != std.size()) throw UsageError("the prior's mean and std differ in length");
  std::uint32_t heads = 0;
  for (std::size_t f = 0; f < mean.size(); ++f) {
    if (mean[f] != 0.0) {
      ++heads;
    } else if (std[f] != 0.0) {
      heads += 2;
    }
  }
  return heads;
}

}  // namespace attnlab
