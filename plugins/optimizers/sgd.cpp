// sgd: theta -= lr * g on every parameter group, lr = eta / D by default;
// biases and activation parameters can have their own rates (GroupRates).
#include "gradient_step.hpp"

namespace {

class Sgd {
 public:
  explicit Sgd(const attnlab::Params& params) : rates_(params, 1.0, true) {}

  std::size_t state_size(std::span<const attnlab_parameter_group> /*groups*/) const { return 0; }

  void step(const attnlab_step_info& info, std::span<attnlab_parameter_group> groups, std::span<double> /*state*/) {
    attnlab::builtin::gradient_step(rates_, info, groups);
  }

 private:
  attnlab::builtin::GroupRates rates_;
};

}  // namespace

ATTNLAB_OPTIMIZER_PLUGIN(Sgd, {.id = "sgd",
                               .name = "SGD",
                               .version = "1.0.0",
                               .description = "plain gradient descent, learning rate eta / D (lr_scale = none: eta); "
                                              "biases and activation parameters: bias_eta, activation_eta, each with "
                                              "its lr_scale; all times the schedule (constant, inverse-time, "
                                              "cosine, step)"})
