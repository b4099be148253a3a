// sgd-sphere: sgd, then every key and value vector is put back on the sphere
// of the radius it had at the first step (projected SGD); biases and
// activation parameters are unconstrained and step with their own rates.
#include "gradient_step.hpp"

#include <cmath>

namespace {

bool constrained(const attnlab_parameter_group& group) {
  return group.role == ATTNLAB_GROUP_KEYS || group.role == ATTNLAB_GROUP_VALUES;
}

class SgdSphere {
 public:
  explicit SgdSphere(const attnlab::Params& params) : rates_(params, 1.0, true) {}

  // One radius per key and value vector.
  std::size_t state_size(std::span<const attnlab_parameter_group> groups) const {
    std::size_t size = 0;
    for (const attnlab_parameter_group& group : groups) {
      if (constrained(group)) size += group.vectors;
    }
    return size;
  }

  void step(const attnlab_step_info& info, std::span<attnlab_parameter_group> groups, std::span<double> radii) {
    // The state arrives zeroed; the radii are those of the parameters before
    // the first update, kept in the state so that a resumed run keeps them.
    if (info.step == 0) for_each_vector(groups, radii, [](auto vector, double& radius) { radius = vector.norm(); });
    attnlab::builtin::gradient_step(rates_, info, groups);
    for_each_vector(groups, radii, [](auto vector, double& radius) {
      const double norm = vector.norm();
      // A vector that lands exactly on 0 has no direction to rescale; it stays.
      if (norm > 0) vector *= radius / norm;
    });
  }

 private:
  template <class Body>
  static void for_each_vector(std::span<attnlab_parameter_group> groups, std::span<double> radii, Body&& body) {
    std::size_t k = 0;
    for (const attnlab_parameter_group& group : groups) {
      if (!constrained(group)) continue;
      for (std::uint32_t i = 0; i < group.vectors; ++i) {
        body(attnlab::VectorMap(group.values + std::size_t{i} * group.length, group.length), radii[k++]);
      }
    }
  }

  attnlab::builtin::GroupRates rates_;
};

}  // namespace

ATTNLAB_OPTIMIZER_PLUGIN(SgdSphere,
                         {.id = "sgd-sphere",
                          .name = "SGD on the sphere",
                          .version = "1.0.0",
                          .description = "sgd, then each key and value vector is rescaled to its "
                                         "initial norm; biases and activation parameters unconstrained, with "
                                         "their own bias_eta, activation_eta; all times the schedule",
                          .constraint = attnlab::Constraint::Sphere})
