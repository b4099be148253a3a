// C++ author layer for data-model plugins.
//
// An author writes a class with:
//
//   explicit MyData(const attnlab::Params& params);   // or default ctor
//   attnlab_data_dims dims() const;                     // D, L, F
//   void teacher(attnlab::MatrixMap keys /*F x D*/, attnlab::VectorMap value) const;
//   void sample(attnlab::RandomStream& rng, attnlab::MatrixMap tokens /*(B*L) x D*/,
//               attnlab::VectorMap labels /*B*/);
//   // optional, both or neither:
//   void bayes_prediction(attnlab::ConstMatrixMap tokens, attnlab::VectorMap prediction);
//   void bayes_risk_samples(attnlab::RandomStream& rng, attnlab::VectorMap out);  // mean = Bayes risk
//   // optional: the law as D -> infinity (tokens N(0, I_D) plus a shift in the teacher span,
//   // label a function of the teacher fields plus independent noise; see plugin_abi.h):
//   void limit_sample(attnlab::RandomStream& rng,
//                     attnlab::MatrixMap teacher_fields /*(count*L) x (F+1)*/,
//                     attnlab::VectorMap label_means /*count*/, attnlab::VectorMap label_noise_variances);
//
// and registers it with ATTNLAB_DATA_MODEL_PLUGIN (see sdk.hpp).
#pragma once

#include <attnlab/plugin_abi.h>
#include <attnlab/sdk/activation.hpp>
#include <attnlab/sdk/errors.hpp>
#include <attnlab/sdk/types.hpp>

#include <cstdint>

namespace attnlab::detail {

template <class T>
concept HasBayesPrediction = requires(T& t, ConstMatrixMap x, VectorMap out, RandomStream& rng) {
  t.bayes_prediction(x, out);
  t.bayes_risk_samples(rng, out);
};

template <class T>
concept HasLimit = requires(T& t, RandomStream& rng, MatrixMap fields, VectorMap out) {
  t.limit_sample(rng, fields, out, out);
};

template <class Model>
struct DataModelAdapter {
  static attnlab_status create(const char* params, void** instance, attnlab_error_buffer error) noexcept {
    return guarded_create(error, [&] { *instance = construct_from_params<Model>(params).release(); });
  }

  static void destroy(void* instance) noexcept { delete static_cast<Model*>(instance); }

  static attnlab_status dims(const void* instance, attnlab_data_dims* dims, attnlab_error_buffer error) noexcept {
    return guarded_call(error, [&] { *dims = static_cast<const Model*>(instance)->dims(); });
  }

  static attnlab_status teacher(const void* instance, double* keys, double* value,
                                attnlab_error_buffer error) noexcept {
    return guarded_call(error, [&] {
      const auto& model = *static_cast<const Model*>(instance);
      const attnlab_data_dims d = model.dims();
      MatrixMap k(keys, d.features, d.dimension);
      VectorMap v(value, d.dimension);
      model.teacher(k, v);
    });
  }

  static attnlab_status sample(void* instance, attnlab_random_stream* rng, std::uint32_t batch, double* tokens,
                               double* labels, attnlab_error_buffer error) noexcept {
    return guarded_call(error, [&] {
      auto& model = *static_cast<Model*>(instance);
      const attnlab_data_dims d = model.dims();
      RandomStream stream(rng);
      MatrixMap x(tokens, static_cast<Eigen::Index>(batch) * d.length, d.dimension);
      VectorMap y(labels, batch);
      model.sample(stream, x, y);
    });
  }

  static attnlab_status bayes_prediction(void* instance, std::uint32_t batch, const double* tokens, double* prediction,
                                         attnlab_error_buffer error) noexcept {
    return guarded_call(error, [&] {
      auto& model = *static_cast<Model*>(instance);
      const attnlab_data_dims d = model.dims();
      ConstMatrixMap x(tokens, static_cast<Eigen::Index>(batch) * d.length, d.dimension);
      VectorMap out(prediction, batch);
      if constexpr (HasBayesPrediction<Model>) model.bayes_prediction(x, out);
    });
  }

  static attnlab_status bayes_risk_samples(void* instance, attnlab_random_stream* rng, std::uint32_t count,
                                           double* squared_errors, attnlab_error_buffer error) noexcept {
    return guarded_call(error, [&] {
      RandomStream stream(rng);
      VectorMap out(squared_errors, count);
      if constexpr (HasBayesPrediction<Model>) static_cast<Model*>(instance)->bayes_risk_samples(stream, out);
    });
  }

  static attnlab_status limit_sample(void* instance, attnlab_random_stream* rng, std::uint32_t count,
                                     double* teacher_fields, double* label_means, double* label_noise_variances,
                                     attnlab_error_buffer error) noexcept {
    return guarded_call(error, [&] {
      auto& model = *static_cast<Model*>(instance);
      const attnlab_data_dims d = model.dims();
      RandomStream stream(rng);
      MatrixMap fields(teacher_fields, static_cast<Eigen::Index>(count) * d.length,
                       static_cast<Eigen::Index>(d.features) + 1);
      VectorMap means(label_means, count);
      VectorMap variances(label_noise_variances, count);
      if constexpr (HasLimit<Model>) model.limit_sample(stream, fields, means, variances);
    });
  }
};

template <class Model>
const attnlab_plugin_descriptor* data_model_descriptor(const PluginInfo& info) {
  using Adapter = DataModelAdapter<Model>;
  constexpr bool bayes = HasBayesPrediction<Model>;
  constexpr bool limit = HasLimit<Model>;
  static const attnlab_data_model_table table{
      sizeof(attnlab_data_model_table),
      0,
      &Adapter::create,
      &Adapter::destroy,
      &Adapter::dims,
      &Adapter::teacher,
      &Adapter::sample,
      bayes ? &Adapter::bayes_prediction : nullptr,
      bayes ? &Adapter::bayes_risk_samples : nullptr,
      limit ? &Adapter::limit_sample : nullptr,
  };
  static const attnlab_plugin_descriptor descriptor{
      ATTNLAB_ABI_MAJOR,
      ATTNLAB_ABI_MINOR,
      sizeof(attnlab_plugin_descriptor),
      ATTNLAB_KIND_DATA_MODEL,
      info.id,
      info.name,
      info.version,
      info.description,
      (bayes ? ATTNLAB_CAP_BAYES_PREDICTION : 0) | (limit ? ATTNLAB_CAP_HIGH_DIMENSIONAL_LIMIT : 0),
      &table,
  };
  return &descriptor;
}

}  // namespace attnlab::detail
