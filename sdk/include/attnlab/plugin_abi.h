/*
 * attnlab plugin ABI — the only thing that crosses a plugin boundary.
 *
 * A plugin is a shared library exporting one C function, ATTNLAB_ENTRY_SYMBOL,
 * that returns a pointer to a static attnlab_plugin_descriptor. The descriptor
 * carries the ABI version it was compiled against, identifies the plugin, and
 * points to a kind-specific table of C functions. Those functions take only
 * plain data: sizes, caller-allocated double buffers, a parameter string and
 * an error buffer. They never throw and report failure through their return
 * status plus a NUL-terminated message written into the error buffer.
 *
 * Versioning: a host accepts a plugin whose major version equals its own and
 * whose minor version is not newer. Minor versions only ever append fields at
 * the end of a struct; each struct records its own size so that a newer host
 * can tell which trailing fields an older plugin provides.
 *   1.0  the first version.
 *   1.1  attnlab_data_model_table.limit_sample and
 *        ATTNLAB_CAP_HIGH_DIMENSIONAL_LIMIT.
 *
 * This header is C (C99) so that plugins can be written in any language that
 * speaks the C calling convention; the C++ author layer lives in sdk.hpp.
 */
#ifndef ATTNLAB_PLUGIN_ABI_H
#define ATTNLAB_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ATTNLAB_ABI_MAJOR 1u
#define ATTNLAB_ABI_MINOR 1u

/* Name of the single exported entry point. */
#define ATTNLAB_ENTRY_SYMBOL "attnlab_plugin_entry"

#if defined(_WIN32)
#define ATTNLAB_EXPORT __declspec(dllexport)
#else
#define ATTNLAB_EXPORT __attribute__((visibility("default")))
#endif

/* Every table function returns one of these. */
typedef enum attnlab_status {
  ATTNLAB_OK = 0,
  ATTNLAB_ERROR = 1, /* message written to the error buffer; from create: the parameters are invalid */
  /* create only: it failed for another reason (e.g. the constructor threw);
     message written. Plugins that predate this value return ATTNLAB_ERROR,
     and hosts treat any status but ATTNLAB_OK as a failure, so adding it
     needed no new ABI version. */
  ATTNLAB_START_FAILED = 2
} attnlab_status;

/* Caller-owned buffer for a NUL-terminated error message (may be truncated). */
typedef struct attnlab_error_buffer {
  char* text;
  size_t capacity;
} attnlab_error_buffer;

typedef enum attnlab_plugin_kind {
  ATTNLAB_KIND_ACTIVATION = 1,
  ATTNLAB_KIND_DATA_MODEL = 2,
  ATTNLAB_KIND_OPTIMIZER = 3
} attnlab_plugin_kind;

/* Capability flags (descriptor.capabilities). */
#define ATTNLAB_CAP_ANALYTIC_BACKWARD (1ull << 0) /* backward written by hand */
#define ATTNLAB_CAP_DERIVED_BACKWARD (1ull << 1)  /* backward derived by the SDK */
#define ATTNLAB_CAP_LEARNABLE_PARAMETERS (1ull << 2)
#define ATTNLAB_CAP_BAYES_PREDICTION (1ull << 3)       /* data model: bayes_* entries */
#define ATTNLAB_CAP_HIGH_DIMENSIONAL_LIMIT (1ull << 4) /* data model: limit_sample (ABI 1.1) */

/* What an activation promises about its weights A (B x H x L) on active heads. */
typedef enum attnlab_normalization {
  ATTNLAB_NORM_NONE = 0,
  ATTNLAB_NORM_PER_HEAD_SUM_ONE = 1,         /* sum_l A[h,l] = 1 for each head */
  ATTNLAB_NORM_PER_HEAD_SUM_AT_MOST_ONE = 2, /* 0 <= sum_l A[h,l] <= 1, A >= 0 */
  ATTNLAB_NORM_JOINT_SUM_ONE = 3             /* sum_{h,l} A[h,l] = 1 per sample */
} attnlab_normalization;

/* Dimensions of a batch of score matrices, stored row-major as [b][h][l]. */
typedef struct attnlab_score_shape {
  uint32_t batch;
  uint32_t heads;
  uint32_t length;
} attnlab_score_shape;

/*
 * Activation table. An instance holds the activation's configuration, its
 * learnable parameters and any scratch space; the host creates one instance
 * per model and calls it from one thread at a time.
 *
 * head_mask: `heads` bytes, nonzero = active, or NULL for all active. A
 * masked head must get weight 0 and take no part in any normalization; its
 * score gradient must be 0.
 */
typedef struct attnlab_activation_table {
  uint32_t struct_size;   /* sizeof(attnlab_activation_table) of the plugin */
  uint32_t normalization; /* an attnlab_normalization */

  /* Parse `params` ("key = value" lines, may be empty) and make an instance.
     ATTNLAB_ERROR: the parameters are invalid; ATTNLAB_START_FAILED: any
     other failure. The same holds for the other kinds' create. */
  attnlab_status (*create)(const char* params, void** instance, attnlab_error_buffer error);
  void (*destroy)(void* instance);

  /* Learnable parameters: count, read and write (buffers of that count). */
  uint32_t (*parameter_count)(const void* instance);
  attnlab_status (*get_parameters)(const void* instance, double* out, attnlab_error_buffer error);
  attnlab_status (*set_parameters)(void* instance, const double* values, attnlab_error_buffer error);

  /* weights[b,h,l] = act(scores[b])[h,l]. */
  attnlab_status (*forward)(void* instance, attnlab_score_shape shape, const double* scores,
                            const unsigned char* head_mask, double* weights, attnlab_error_buffer error);

  /*
   * Given dLoss/dweights, write dLoss/dscores (same shape) and the gradient
   * of the learnable parameters summed over the batch (parameter_count
   * doubles; may be NULL when the count is 0). `weights` is forward's output
   * for the same scores and mask.
   */
  attnlab_status (*backward)(void* instance, attnlab_score_shape shape, const double* scores, const double* weights,
                             const unsigned char* head_mask, const double* grad_weights, double* grad_scores,
                             double* grad_parameters, attnlab_error_buffer error);
} attnlab_activation_table;

/*
 * Randomness handed to data models by the host. Plugins draw only from this
 * stream so that the host controls seeding and reproducibility.
 */
typedef struct attnlab_random_stream {
  void* state;
  void (*fill_normal)(void* state, double* out, size_t count);  /* N(0,1) */
  void (*fill_uniform)(void* state, double* out, size_t count); /* [0,1) */
  uint64_t (*next_u64)(void* state);
} attnlab_random_stream;

typedef struct attnlab_data_dims {
  uint32_t dimension; /* D */
  uint32_t length;    /* L, tokens per sample */
  uint32_t features;  /* F, teacher key directions */
} attnlab_data_dims;

typedef struct attnlab_data_model_table {
  uint32_t struct_size;
  uint32_t reserved;

  attnlab_status (*create)(const char* params, void** instance, attnlab_error_buffer error);
  void (*destroy)(void* instance);
  attnlab_status (*dims)(const void* instance, attnlab_data_dims* dims, attnlab_error_buffer error);

  /* keys: F x D row-major; value: D. */
  attnlab_status (*teacher)(const void* instance, double* keys, double* value, attnlab_error_buffer error);

  /* tokens: batch x L x D row-major; labels: batch. */
  attnlab_status (*sample)(void* instance, attnlab_random_stream* rng, uint32_t batch, double* tokens, double* labels,
                           attnlab_error_buffer error);

  /* Optional (ATTNLAB_CAP_BAYES_PREDICTION), otherwise NULL. */
  attnlab_status (*bayes_prediction)(void* instance, uint32_t batch, const double* tokens, double* prediction,
                                     attnlab_error_buffer error);
  /* Writes `count` independent, unbiased samples whose mean is the Bayes
     risk (e.g. conditional expectations of the Bayes-optimal squared error
     given low-dimensional fields drawn from `rng`). */
  attnlab_status (*bayes_risk_samples)(void* instance, attnlab_random_stream* rng, uint32_t count,
                                       double* squared_errors, attnlab_error_buffer error);

  /* Fields below: ABI 1.1. A 1.0 plugin's struct_size ends before them. */

  /*
   * Optional (ATTNLAB_CAP_HIGH_DIMENSIONAL_LIMIT), otherwise NULL: the
   * model's law as D -> infinity. Only for models whose tokens are isotropic
   * N(0, I_D) noise plus a shift in the span of the teacher directions, and
   * whose label depends on the tokens only through the teacher fields and
   * independent noise: in the limit such a model is fully described by the
   * low-dimensional teacher fields.
   *
   * For `count` samples, drawing only from `rng`, writes
   *   teacher_fields         count x L x T row-major, T = F + 1: field t of
   *                          token l is x_l . w*_t / sqrt(D), where w* are
   *                          the F teacher keys then the value (teacher());
   *   label_means            count: the label without its independent noise;
   *   label_noise_variances  count: the variance (>= 0) of that zero-mean
   *                          noise, so y = label_mean + noise.
   */
  attnlab_status (*limit_sample)(void* instance, attnlab_random_stream* rng, uint32_t count, double* teacher_fields,
                                 double* label_means, double* label_noise_variances, attnlab_error_buffer error);
} attnlab_data_model_table;

/* Which learner tensor a parameter group holds (lets optimizers constrain). */
typedef enum attnlab_group_role {
  ATTNLAB_GROUP_KEYS = 1,
  ATTNLAB_GROUP_VALUES = 2,
  ATTNLAB_GROUP_BIASES = 3,
  ATTNLAB_GROUP_ACTIVATION = 4
} attnlab_group_role;

/* `vectors` vectors of `length` doubles each, contiguous, with gradients. */
typedef struct attnlab_parameter_group {
  uint32_t role; /* an attnlab_group_role */
  uint32_t vectors;
  uint32_t length;
  double* values;
  const double* gradients;
} attnlab_parameter_group;

typedef struct attnlab_step_info {
  uint64_t step;      /* 0-based step counter */
  uint32_t batch;     /* samples in this step */
  uint32_t dimension; /* D, for eta/D scaling */
} attnlab_step_info;

/*
 * What an optimizer promises to keep invariant in every step
 * (attnlab_optimizer_table.constraint). The host's checker verifies it.
 */
typedef enum attnlab_optimizer_constraint {
  ATTNLAB_CONSTRAINT_NONE = 0,  /* no constraint */
  ATTNLAB_CONSTRAINT_SPHERE = 1 /* each key and value vector keeps the norm it had before the step;
                                   biases and activation parameters are unconstrained */
} attnlab_optimizer_constraint;

typedef struct attnlab_optimizer_table {
  uint32_t struct_size;
  uint32_t constraint; /* an attnlab_optimizer_constraint; formerly `reserved` (always 0 = none), same layout */

  attnlab_status (*create)(const char* params, void** instance, attnlab_error_buffer error);
  void (*destroy)(void* instance);
  /* Doubles of state the host must allocate (zeroed) for these groups. */
  attnlab_status (*state_size)(const void* instance, const attnlab_parameter_group* groups, uint32_t count,
                               size_t* size, attnlab_error_buffer error);
  attnlab_status (*step)(void* instance, attnlab_step_info info, attnlab_parameter_group* groups, uint32_t count,
                         double* state, attnlab_error_buffer error);
} attnlab_optimizer_table;

typedef struct attnlab_plugin_descriptor {
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t struct_size; /* sizeof(attnlab_plugin_descriptor) of the plugin */
  uint32_t kind;        /* an attnlab_plugin_kind */
  const char* id;       /* unique, e.g. "softmax1"; [a-z0-9._-]+ */
  const char* name;     /* human-readable */
  const char* version;  /* the plugin's own version, e.g. "1.0.0" */
  const char* description;
  uint64_t capabilities; /* ATTNLAB_CAP_* flags */
  /* Points to the attnlab_*_table matching `kind`. */
  const void* table;
} attnlab_plugin_descriptor;

typedef const attnlab_plugin_descriptor* (*attnlab_entry_fn)(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATTNLAB_PLUGIN_ABI_H */
