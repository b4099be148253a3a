// attnlab.activation(...): one activation plugin instance, called on NumPy
// score arrays through the same host wrapper training uses.
#include "activation.hpp"

#include "arrays.hpp"
#include "errors.hpp"
#include "registry.hpp"

#include <attnlab/framework/hosting/activation.hpp>

#include <fmt/format.h>
#include <pybind11/stl.h>

#include <limits>
#include <optional>
#include <tuple>

namespace py = pybind11;

namespace attnlab::python {
namespace {

std::uint32_t dimension(py::ssize_t size, const char* what) {
  if (size <= 0 || size > std::numeric_limits<std::uint32_t>::max())
    throw py::value_error(fmt::format("{} must be between 1 and 2^32 - 1, got {}", what, size));
  return static_cast<std::uint32_t>(size);
}

ScoreShape shape_of(const DoubleArray& scores) {
  if (scores.ndim() != 3)
    throw py::value_error(
        fmt::format("scores must have shape (batch, heads, length), got {} dimensions", scores.ndim()));
  return {dimension(scores.shape(0), "batch"), dimension(scores.shape(1), "heads"),
          dimension(scores.shape(2), "length")};
}

void require_same_shape(const DoubleArray& array, const DoubleArray& scores, const char* name) {
  const bool same = array.ndim() == 3 && array.shape(0) == scores.shape(0) && array.shape(1) == scores.shape(1) &&
                    array.shape(2) == scores.shape(2);
  if (!same) throw py::value_error(fmt::format("{} must have the shape of scores", name));
}

// None: every head active; else one entry per head, nonzero or True = active.
std::vector<unsigned char> head_mask(const std::optional<py::array_t<double, py::array::forcecast>>& mask,
                                     ScoreShape shape) {
  if (!mask) return {};
  if (mask->ndim() != 1 || mask->shape(0) != static_cast<py::ssize_t>(shape.heads))
    throw py::value_error(fmt::format("mask must have shape ({},): one entry per head", shape.heads));
  std::vector<unsigned char> bytes;
  for (py::ssize_t h = 0; h < mask->shape(0); ++h) bytes.push_back(mask->at(h) != 0.0 ? 1 : 0);
  return bytes;
}

using Mask = std::optional<py::array_t<double, py::array::forcecast>>;

// Calls stay under the GIL: an instance is not safe to share between threads.
class PyActivation {
 public:
  PyActivation(Registry& registry, const std::string& id_or_path, const std::string& params)
      : activation_(translate_errors(ErrorKind::Plugin, [&] {
          return Activation(registry.resolve(id_or_path, PluginKind::Activation), params);
        })) {}

  std::string id() const { return activation_.plugin().id(); }
  std::string normalization() const { return normalization_name(activation_.normalization()); }

  DoubleArray parameters() const {
    const std::vector<double> values = activation_.parameters();
    DoubleArray array(static_cast<py::ssize_t>(values.size()));
    std::copy(values.begin(), values.end(), array.mutable_data());
    return array;
  }

  void set_parameters(const DoubleArray& values) {
    translate_errors(ErrorKind::Plugin, [&] { activation_.set_parameters(view(values)); });
  }

  DoubleArray forward(const DoubleArray& scores, const Mask& mask) {
    const ScoreShape shape = shape_of(scores);
    const auto heads = head_mask(mask, shape);
    DoubleArray weights({scores.shape(0), scores.shape(1), scores.shape(2)});
    translate_errors(ErrorKind::Plugin, [&] { activation_.forward(shape, view(scores), heads, view(weights)); });
    return weights;
  }

  // (gradient with respect to the scores, with respect to the learnable parameters).
  std::tuple<DoubleArray, DoubleArray> backward(const DoubleArray& scores, const DoubleArray& grad_weights,
                                                const Mask& mask) {
    require_same_shape(grad_weights, scores, "grad_out");
    const ScoreShape shape = shape_of(scores);
    const auto heads = head_mask(mask, shape);
    // The wrapper takes the forward's weights as well: computed here.
    DoubleArray weights = forward(scores, mask);
    DoubleArray grad_scores({scores.shape(0), scores.shape(1), scores.shape(2)});
    DoubleArray grad_parameters(static_cast<py::ssize_t>(activation_.parameter_count()));
    translate_errors(ErrorKind::Plugin, [&] {
      activation_.backward(shape, view(scores), view(weights), heads, view(grad_weights), view(grad_scores),
                           view(grad_parameters));
    });
    return {grad_scores, grad_parameters};
  }

 private:
  Activation activation_;
};

}  // namespace

void bind_activation(py::module_& module) {
  py::class_<PyActivation>(module, "Activation")
      .def(py::init<Registry&, const std::string&, const std::string&>(), py::arg("registry"), py::arg("id_or_path"),
           py::arg("params") = "", py::keep_alive<1, 2>())
      .def_property_readonly("id", &PyActivation::id)
      .def_property_readonly("normalization", &PyActivation::normalization)
      .def_property("parameters", &PyActivation::parameters, &PyActivation::set_parameters)
      .def("forward", &PyActivation::forward, py::arg("scores"), py::arg("mask") = py::none())
      .def("backward", &PyActivation::backward, py::arg("scores"), py::arg("grad_out"), py::arg("mask") = py::none());
}

}  // namespace attnlab::python
