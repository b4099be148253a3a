// attnlab.data_model(...): one data-model plugin instance, sampling into
// NumPy arrays; attnlab.bayes_risk(...): the Monte Carlo Bayes risk of a
// comparison config, as `attnlab bayes-risk` computes it.
#include "data_model.hpp"

#include "arrays.hpp"
#include "errors.hpp"
#include "registry.hpp"

#include <attnlab/framework/common/random.hpp>
#include <attnlab/framework/hosting/data_model.hpp>
#include <attnlab/framework/training/compare_config.hpp>

#include <fmt/format.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <optional>
#include <tuple>

namespace py = pybind11;

namespace attnlab::python {
namespace {

DoubleArray copy_matrix(const RowMatrix& matrix) {
  DoubleArray array({matrix.rows(), matrix.cols()});
  std::copy(matrix.data(), matrix.data() + matrix.size(), array.mutable_data());
  return array;
}

py::dict risk_record(const BayesRiskEstimate& estimate) {
  py::dict record;
  record["mean"] = estimate.mean;
  record["standard_error"] = estimate.standard_error;
  record["samples"] = estimate.samples;
  return record;
}

class PyDataModel {
 public:
  PyDataModel(Registry& registry, const std::string& id_or_path, const std::string& params)
      : model_(translate_errors(ErrorKind::Plugin, [&] {
          return DataModel(registry.resolve(id_or_path, PluginKind::DataModel), params);
        })) {}

  std::string id() const { return model_.plugin().id(); }
  std::uint32_t dimension() const { return model_.dimension(); }
  std::uint32_t length() const { return model_.length(); }
  std::uint32_t features() const { return model_.features(); }
  DoubleArray teacher_keys() const { return copy_matrix(model_.teacher_keys()); }
  DoubleArray teacher_value() const {
    const Eigen::VectorXd& value = model_.teacher_value();
    DoubleArray array(value.size());
    std::copy(value.data(), value.data() + value.size(), array.mutable_data());
    return array;
  }
  bool has_bayes() const { return model_.has_bayes(); }

  // (tokens of shape (n, L, D), labels of shape (n,)), from the random
  // stream `seed` alone.
  std::tuple<DoubleArray, DoubleArray> sample(std::uint32_t count, std::uint64_t seed) {
    if (count == 0) throw py::value_error("n must be at least 1");
    DoubleArray tokens(
        {static_cast<py::ssize_t>(count), static_cast<py::ssize_t>(length()), static_cast<py::ssize_t>(dimension())});
    DoubleArray labels(static_cast<py::ssize_t>(count));
    Rng rng(seed);
    translate_errors(ErrorKind::Plugin, [&] { model_.sample(rng, count, view(tokens), view(labels)); });
    return {tokens, labels};
  }

  // E[y | X] for tokens of shape (n, L, D).
  DoubleArray bayes_prediction(const DoubleArray& tokens) {
    if (tokens.ndim() != 3 || tokens.shape(1) != length() || tokens.shape(2) != dimension())
      throw py::value_error(fmt::format("tokens must have shape (n, {}, {})", length(), dimension()));
    DoubleArray prediction(tokens.shape(0));
    translate_errors(ErrorKind::Plugin, [&] {
      model_.bayes_prediction(static_cast<std::uint32_t>(tokens.shape(0)), view(tokens), view(prediction));
    });
    return prediction;
  }

  py::dict bayes_risk(std::size_t samples, std::uint64_t seed) {
    Rng rng(seed);
    return risk_record(translate_errors(ErrorKind::Plugin, [&] { return estimate_bayes_risk(model_, rng, samples); }));
  }

 private:
  DataModel model_;
};

// The config as `attnlab compare` composes it: the built-in default, then
// the TOML text if any, then `section.key=value` overrides.
CompareConfig compose(const std::optional<std::string>& text, const std::optional<std::string>& path,
                      const std::vector<std::string>& overrides) {
  return translate_errors(ErrorKind::Config, [&] {
    if (text) return compose_compare_config(*text, path.value_or("<config>"), overrides);
    return load_compare_config(path, overrides);
  });
}

// The Bayes risk of the config's data model, with the seed and sample count
// `attnlab bayes-risk` uses (samples 0: the config's eval.bayes_samples).
py::dict config_bayes_risk(Registry& registry, const std::optional<std::string>& text,
                           const std::optional<std::string>& path, const std::vector<std::string>& overrides,
                           std::uint32_t samples) {
  const CompareConfig config = compose(text, path, overrides);
  DataModel model = translate_errors(ErrorKind::Plugin, [&] {
    return DataModel(registry.resolve(config.data_plugin, PluginKind::DataModel), config.data_params);
  });
  if (!model.has_bayes())
    raise_error(ErrorKind::Plugin,
                fmt::format("data model '{}' does not provide a Bayes-optimal predictor", config.data_plugin));
  Rng rng(stream_seed(config.seed, StreamPurpose::BayesRisk));
  const std::size_t count = samples > 0 ? samples : std::max(config.bayes_samples, 1u);
  const BayesRiskEstimate estimate = translate_errors(ErrorKind::Plugin, [&] {
    py::gil_scoped_release release;
    return estimate_bayes_risk(model, rng, count);
  });
  py::dict record = risk_record(estimate);
  record["seed"] = config.seed;
  return record;
}

}  // namespace

void bind_data_model(py::module_& module) {
  py::class_<PyDataModel>(module, "DataModel")
      .def(py::init<Registry&, const std::string&, const std::string&>(), py::arg("registry"), py::arg("id_or_path"),
           py::arg("params") = "", py::keep_alive<1, 2>())
      .def_property_readonly("id", &PyDataModel::id)
      .def_property_readonly("dimension", &PyDataModel::dimension)
      .def_property_readonly("length", &PyDataModel::length)
      .def_property_readonly("features", &PyDataModel::features)
      .def_property_readonly("teacher_keys", &PyDataModel::teacher_keys)
      .def_property_readonly("teacher_value", &PyDataModel::teacher_value)
      .def_property_readonly("has_bayes", &PyDataModel::has_bayes)
      .def("sample", &PyDataModel::sample, py::arg("n"), py::arg("seed"))
      .def("bayes_prediction", &PyDataModel::bayes_prediction, py::arg("tokens"))
      .def("bayes_risk", &PyDataModel::bayes_risk, py::arg("samples"), py::arg("seed"));
  module.def(
      "resolve_config",
      [](const std::optional<std::string>& text, const std::optional<std::string>& path,
         const std::vector<std::string>& overrides) { return compose(text, path, overrides).resolved_toml; },
      py::arg("text"), py::arg("path"), py::arg("overrides"),
      "The resolved config as TOML text; ConfigError naming the key when it is malformed.");
  module.def("bayes_risk", &config_bayes_risk, py::arg("registry"), py::arg("text"), py::arg("path"),
             py::arg("overrides"), py::arg("samples") = 0);
}

}  // namespace attnlab::python
