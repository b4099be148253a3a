#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/hosting/descriptor_validation.hpp>

#include <cstddef>
#include <string>

namespace attnlab {
namespace {

// Sizes of the ABI 1.0 structs: the smallest a valid 1.x plugin can report.
// Later minors only append fields, so these stay the lower bounds.
constexpr std::size_t kMinDescriptorSize = sizeof(attnlab_plugin_descriptor);
constexpr std::size_t kMinActivationTableSize = sizeof(attnlab_activation_table);
// ABI 1.1 appended limit_sample to the data-model table, so its 1.0 size ends there.
constexpr std::size_t kMinDataModelTableSize = offsetof(attnlab_data_model_table, limit_sample);
// A data-model table that holds limit_sample.
constexpr std::size_t kLimitDataModelTableSize =
    offsetof(attnlab_data_model_table, limit_sample) + sizeof(attnlab_data_model_table::limit_sample);
constexpr std::size_t kMinOptimizerTableSize = sizeof(attnlab_optimizer_table);

[[noreturn]] void malformed(const std::string& what) {
  throw PluginLoadError("malformed descriptor: " + what);
}

std::string version_string(std::uint32_t major, std::uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

void check_version(const attnlab_plugin_descriptor& d) {
  const std::string plugin = version_string(d.abi_major, d.abi_minor);
  const std::string host = version_string(ATTNLAB_ABI_MAJOR, ATTNLAB_ABI_MINOR);
  if (d.abi_major != ATTNLAB_ABI_MAJOR) {
    throw PluginLoadError("plugin ABI " + plugin + " is incompatible with this attnlab's plugin ABI " + host +
                          " (major versions differ; rebuild the plugin against this SDK)");
  }
  if (d.abi_minor > ATTNLAB_ABI_MINOR) {
    throw PluginLoadError("plugin ABI " + plugin + " is newer than this attnlab's plugin ABI " + host +
                          " (upgrade attnlab or rebuild the plugin against this SDK)");
  }
}

void check_id(const char* id) {
  if (id == nullptr || *id == '\0') malformed("empty id");
  const std::string text(id);
  for (const char c : text) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!allowed) malformed("id '" + text + "' may use only a-z, 0-9, '.', '_' and '-'");
  }
}

void check_string(const char* value, const char* field) {
  if (value == nullptr) malformed(std::string("null ") + field);
}

void check_entry(bool present, const char* table, const char* entry) {
  if (!present) malformed(std::string(table) + " table entry '" + entry + "' is null");
}

void check_table_size(std::uint32_t size, std::size_t minimum, const char* table) {
  if (size < minimum) {
    malformed(std::string(table) + " table struct_size " + std::to_string(size) + " is smaller than the " +
              std::to_string(minimum) + " bytes of ABI " + version_string(ATTNLAB_ABI_MAJOR, 0));
  }
}

void check_activation(const attnlab_activation_table& t) {
  check_table_size(t.struct_size, kMinActivationTableSize, "activation");
  if (t.normalization > ATTNLAB_NORM_JOINT_SUM_ONE) {
    malformed("activation normalization " + std::to_string(t.normalization) + " is not one of 0..3");
  }
  check_entry(t.create != nullptr, "activation", "create");
  check_entry(t.destroy != nullptr, "activation", "destroy");
  check_entry(t.parameter_count != nullptr, "activation", "parameter_count");
  check_entry(t.get_parameters != nullptr, "activation", "get_parameters");
  check_entry(t.set_parameters != nullptr, "activation", "set_parameters");
  check_entry(t.forward != nullptr, "activation", "forward");
  check_entry(t.backward != nullptr, "activation", "backward");
}

void check_data_model(const attnlab_data_model_table& t, std::uint64_t capabilities) {
  check_table_size(t.struct_size, kMinDataModelTableSize, "data model");
  check_entry(t.create != nullptr, "data model", "create");
  check_entry(t.destroy != nullptr, "data model", "destroy");
  check_entry(t.dims != nullptr, "data model", "dims");
  check_entry(t.teacher != nullptr, "data model", "teacher");
  check_entry(t.sample != nullptr, "data model", "sample");
  if ((capabilities & ATTNLAB_CAP_BAYES_PREDICTION) != 0) {
    check_entry(t.bayes_prediction != nullptr, "data model", "bayes_prediction");
    check_entry(t.bayes_risk_samples != nullptr, "data model", "bayes_risk_samples");
  }
  if ((capabilities & ATTNLAB_CAP_HIGH_DIMENSIONAL_LIMIT) != 0) {
    // The flag promises a field a 1.0-sized table does not have: reading it would read past the plugin's table.
    if (t.struct_size < kLimitDataModelTableSize) {
      malformed("data model declares the high-dimensional-limit capability, but its table struct_size " +
                std::to_string(t.struct_size) + " ends before 'limit_sample' (ABI 1.1 needs at least " +
                std::to_string(kLimitDataModelTableSize) + " bytes)");
    }
    check_entry(t.limit_sample != nullptr, "data model", "limit_sample");
  }
}

void check_optimizer(const attnlab_optimizer_table& t) {
  check_table_size(t.struct_size, kMinOptimizerTableSize, "optimizer");
  if (t.constraint > ATTNLAB_CONSTRAINT_SPHERE) {
    malformed("optimizer constraint " + std::to_string(t.constraint) + " is not one of 0 (none), 1 (sphere)");
  }
  check_entry(t.create != nullptr, "optimizer", "create");
  check_entry(t.destroy != nullptr, "optimizer", "destroy");
  check_entry(t.state_size != nullptr, "optimizer", "state_size");
  check_entry(t.step != nullptr, "optimizer", "step");
}

}  // namespace

PluginKind validate_descriptor(const attnlab_plugin_descriptor* descriptor) {
  if (descriptor == nullptr) throw PluginLoadError("the entry point returned no descriptor (null)");
  const attnlab_plugin_descriptor& d = *descriptor;
  check_version(d);
  if (d.struct_size < kMinDescriptorSize) {
    malformed("struct_size " + std::to_string(d.struct_size) + " is smaller than the " +
              std::to_string(kMinDescriptorSize) + " bytes of ABI " + version_string(ATTNLAB_ABI_MAJOR, 0));
  }
  check_id(d.id);
  check_string(d.name, "name");
  check_string(d.version, "version");
  check_string(d.description, "description");
  if (d.table == nullptr) malformed("null function table");
  switch (d.kind) {
    case ATTNLAB_KIND_ACTIVATION:
      check_activation(*static_cast<const attnlab_activation_table*>(d.table));
      return PluginKind::Activation;
    case ATTNLAB_KIND_DATA_MODEL:
      check_data_model(*static_cast<const attnlab_data_model_table*>(d.table), d.capabilities);
      return PluginKind::DataModel;
    case ATTNLAB_KIND_OPTIMIZER:
      check_optimizer(*static_cast<const attnlab_optimizer_table*>(d.table));
      return PluginKind::Optimizer;
    default:
      malformed("unknown kind " + std::to_string(d.kind) + " (expected 1 activation, 2 data model, 3 optimizer)");
  }
}

}  // namespace attnlab
