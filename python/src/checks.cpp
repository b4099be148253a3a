// attnlab.check_plugin(...): the conformance checks of `attnlab check-plugin`,
// each run in a child process of its own (so a plugin that crashes fails its
// check instead of killing Python).
#include "checks.hpp"

#include "errors.hpp"
#include "registry.hpp"

#include <attnlab/framework/checks/activation_checker.hpp>
#include <attnlab/framework/checks/data_model_checker.hpp>
#include <attnlab/framework/checks/optimizer_checker.hpp>

#include <pybind11/stl.h>

namespace py = pybind11;

namespace attnlab::python {
namespace {

template <class Options>
Options options_for(const std::string& params, std::uint64_t seed, double timeout_seconds) {
  Options options;
  options.params = params;
  options.seed = seed;
  options.check_timeout_seconds = timeout_seconds;
  return options;
}

std::vector<CheckResult> run_checks(const std::shared_ptr<const PluginLibrary>& plugin, const std::string& params,
                                    std::uint64_t seed, double timeout_seconds) {
  switch (plugin->kind()) {
    case PluginKind::Activation:
      return check_activation(plugin, options_for<ActivationCheckOptions>(params, seed, timeout_seconds));
    case PluginKind::DataModel:
      return check_data_model(plugin, options_for<DataModelCheckOptions>(params, seed, timeout_seconds));
    case PluginKind::Optimizer:
      return check_optimizer(plugin, options_for<OptimizerCheckOptions>(params, seed, timeout_seconds));
  }
  return {};
}

// One dict per check: name, passed, detail.
py::list check_plugin(Registry& registry, const std::string& id_or_path, const std::string& params, std::uint64_t seed,
                      double timeout_seconds) {
  const auto plugin = registry.resolve(id_or_path, std::nullopt);
  const std::vector<CheckResult> results = translate_errors(ErrorKind::Plugin, [&] {
    py::gil_scoped_release release;
    return run_checks(plugin, params, seed, timeout_seconds);
  });
  py::list records;
  for (const CheckResult& result : results) {
    py::dict record;
    record["plugin"] = plugin->id();
    record["name"] = result.name;
    record["passed"] = result.passed;
    record["detail"] = result.detail;
    records.append(record);
  }
  return records;
}

}  // namespace

void bind_checks(py::module_& module) {
  module.def("check_plugin", &check_plugin, py::arg("registry"), py::arg("id_or_path"), py::arg("params") = "",
             py::arg("seed") = 20260303, py::arg("timeout_seconds") = 60.0);
}

}  // namespace attnlab::python
