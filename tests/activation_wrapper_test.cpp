// The host's Activation wrapper around a plugin instance: parameters, size
// checks, and containment of plugins that fail or return garbage.
#include "test_support.hpp"

#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/hosting/plugin_registry.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using attnlab::Activation;
using attnlab::PluginError;
using attnlab::PluginLibrary;
using attnlab::UsageError;
using attnlab::test::bad_fixture;
using attnlab::test::Buffer;
using attnlab::test::good_fixture;
using attnlab::test::thrown_message;
using Catch::Matchers::Contains;

TEST_CASE("parameters reach the plugin and learnable values round-trip", "[activation]") {
  const auto plugin = PluginLibrary::load(good_fixture("fixture-good"));
  CHECK(Activation(plugin).parameters() == Buffer{1.0});  // default beta
  Activation activation(plugin, "beta = 2.5");
  CHECK(activation.parameter_count() == 1);
  CHECK(activation.parameters() == Buffer{2.5});
  activation.set_parameters(Buffer{0.5});
  CHECK(activation.parameters() == Buffer{0.5});
  // softmax(beta s) with beta = 2 on s = [0, ln2 / 2, ln3 / 2]: [1, 2, 3] / 6.
  activation.set_parameters(Buffer{2.0});
  const Buffer weights = attnlab::test::forward(activation, {1, 1, 3}, {0, std::log(2.0) / 2, std::log(3.0) / 2});
  CHECK_THAT(weights, Catch::Matchers::Approx(Buffer{1. / 6, 2. / 6, 3. / 6}).epsilon(1e-14));
}

TEST_CASE("bad parameter text is refused naming the plugin, the key and the accepted keys", "[activation]") {
  const auto plugin = PluginLibrary::load(good_fixture("fixture-good"));
  const std::string unknown = thrown_message<PluginError>([&] { Activation(plugin, "beta = 1\ngamma = 2"); });
  CHECK_THAT(unknown, Contains("plugin 'fixture-good'") && Contains("fixture-good.so") &&
                          Contains("invalid parameters: unknown parameter 'gamma' (accepted: beta)"));
  const std::string not_number = thrown_message<PluginError>([&] { Activation(plugin, "beta = hot"); });
  CHECK_THAT(not_number,
             Contains("plugin 'fixture-good'") && Contains("parameter 'beta' must be a finite number, got 'hot'"));
}

TEST_CASE("a constructor that throws is reported as such; its ParamError is a bad parameter", "[activation][fixture]") {
  const auto plugin = PluginLibrary::load(bad_fixture("fixture-throwing-constructor"));
  CHECK(thrown_message<PluginError>([&] { Activation{plugin}; }) ==
        plugin->label() +
            ": constructor threw: fixture-throwing-constructor refuses to start (deliberate test failure)");
  CHECK(thrown_message<PluginError>([&] { Activation(plugin, "beta = hot"); }) ==
        plugin->label() + ": invalid parameters: parameter 'beta' must be a finite number, got 'hot'");
}

TEST_CASE("buffers that do not fit the shape are refused before the plugin runs", "[activation]") {
  Activation activation(attnlab::test::builtin_plugin("softmax"));
  Buffer weights(6);
  CHECK_THAT(thrown_message<UsageError>([&] {
               activation.forward({1, 2, 3}, Buffer(5), {}, weights);
             }),
             Contains("plugin 'softmax'") && Contains("buffer of 5 doubles for a 1x2x3 score batch"));
  const std::vector<unsigned char> mask{1, 0, 1};
  CHECK_THAT(thrown_message<UsageError>([&] {
               activation.forward({1, 2, 3}, Buffer(6), mask, weights);
             }),
             Contains("head mask of 3 entries for 2 heads"));
  Buffer grad_scores(6);
  Buffer one_parameter(1);
  CHECK_THAT(thrown_message<UsageError>([&] {
               activation.backward({1, 2, 3}, Buffer(6), Buffer(6), {}, Buffer(6), grad_scores, one_parameter);
             }),
             Contains("parameter gradient buffer of 1 doubles, expected 0"));
  Activation with_parameter(PluginLibrary::load(good_fixture("fixture-good")));
  CHECK_THAT(thrown_message<UsageError>([&] {
               with_parameter.set_parameters(Buffer{1.0, 2.0});
             }),
             Contains("set_parameters got 2 values, expected 1"));
}

TEST_CASE("an exception thrown in a plugin's forward comes back as its message", "[activation][fixture]") {
  const auto plugin = PluginLibrary::load(bad_fixture("fixture-throwing-forward"));
  Activation activation(plugin);
  Buffer weights(12);
  const std::string message = thrown_message<PluginError>([&] {
    activation.forward({2, 2, 3}, Buffer(12, 0.5), {}, weights);
  });
  CHECK_THAT(message, Contains("plugin 'fixture-throwing-forward'") && Contains("fixture-throwing-forward.so") &&
                          Contains("forward failed: fixture-throwing-forward refuses every batch"));
}

TEST_CASE("NaN weights from finite scores are refused with their position", "[activation][fixture]") {
  Activation activation(PluginLibrary::load(bad_fixture("fixture-nan-forward")));
  Buffer weights(24);
  const std::string message = thrown_message<PluginError>([&] {
    activation.forward({2, 3, 4}, Buffer(24, 0.5), {}, weights);
  });
  // The fixture spoils the last token of the last head of every sample.
  CHECK_THAT(message, Contains("plugin 'fixture-nan-forward'") && Contains("fixture-nan-forward.so") &&
                          Contains("non-finite weight (nan) at sample 0, head 2, token 3 for finite scores"));
}

TEST_CASE("a plugin of another kind cannot be used as an activation", "[activation][fixture]") {
  const auto data_model = PluginLibrary::load(good_fixture("fixture-data-model"));
  CHECK_THAT(thrown_message<UsageError>([&] { Activation{data_model}; }),
             Contains("plugin 'fixture-data-model'") && Contains("is a data-model, not an activation"));
}

TEST_CASE("an activation keeps working after the registry that loaded it is gone", "[activation][lifetime]") {
  std::unique_ptr<Activation> activation;
  {
    attnlab::PluginRegistry registry;
    registry.add_file(attnlab::test::builtin_dir() / "softmax.so");
    activation = std::make_unique<Activation>(registry.get("softmax", attnlab::PluginKind::Activation));
  }
  // The library stays mapped while the activation holds it; otherwise this
  // call would jump into unmapped code.
  const Buffer weights = attnlab::test::forward(*activation, {1, 1, 2}, {0.0, 0.0});
  CHECK(weights == Buffer{0.5, 0.5});
  Activation moved = std::move(*activation);
  activation.reset();
  CHECK(attnlab::test::forward(moved, {1, 1, 2}, {0.0, 0.0}) == Buffer{0.5, 0.5});
}
