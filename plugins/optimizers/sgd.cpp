// sgd: theta -= lr * g on every parameter group, lr = eta / D by default.
#include "gradient_step.hpp"

namespace {

class Sgd {
 public:
  explicit Sgd(const attnlab::Params& params) : rate_(params, 1.0, true) {}

  std::size_t state_size(std::span<const attnlab_parameter_group> /*groups*/) const { return 0; }

  void step(const attnlab_step_info& info, std::span<attnlab_parameter_group> groups, std::span<double> /*state*/) {
    attnlab::builtin::gradient_step(rate_.at(info), groups);
  }

 private:
  attnlab::builtin::LearningRate rate_;
};

}  // namespace

ATTNLAB_OPTIMIZER_PLUGIN(Sgd, {.id = "sgd",
                               .name = "SGD",
                               .version = "1.0.0",
                               .description = "plain gradient descent, learning rate eta / D (lr_scale = none: eta)"})
