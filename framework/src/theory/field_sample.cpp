#include <attnlab/framework/common/random.hpp>
#include <attnlab/framework/theory/field_sample.hpp>

namespace attnlab {

FieldSample draw_field_sample(DataModel& data, std::uint64_t seed, std::uint32_t count, std::uint32_t heads) {
  const std::uint32_t length = data.length();
  const Eigen::Index rows = static_cast<Eigen::Index>(count) * length;
  FieldSample sample;
  sample.count = count;
  sample.length = length;
  sample.teacher_fields.resize(rows, data.features() + 1);
  sample.label_means.resize(count);
  sample.label_noise_variances.resize(count);
  sample.normals.resize(rows, 2 * heads);
  Rng rng(seed);
  data.limit_sample(rng, count, {sample.teacher_fields.data(), static_cast<std::size_t>(sample.teacher_fields.size())},
                    {sample.label_means.data(), count}, {sample.label_noise_variances.data(), count});
  // Samples come in pairs (2k, 2k + 1) that share their student normals, so
  // that a data model's antithetic pairs (e.g. a symmetric feature's sign
  // flipped) cancel exactly where the exact expectation is 0: a feature no
  // student vector overlaps then stays at overlap 0, as in the exact limit.
  rng.fill_normal(sample.normals.data(), static_cast<std::size_t>(sample.normals.size()));
  const Eigen::Index block = length;
  for (Eigen::Index second = 1; second < static_cast<Eigen::Index>(count); second += 2) {
    sample.normals.middleRows(second * block, block) = sample.normals.middleRows((second - 1) * block, block);
  }
  return sample;
}

}  // namespace attnlab
