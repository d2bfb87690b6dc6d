// sbtorch: the C ABI between libtorch and StyleBridge.Torch.
//
// Conventions (every export follows them):
// - Every function returns an int32 status: SB_OK (0) or one of the SB_E_* codes. Results are written
//   through out-parameters; a failed call leaves them untouched. No C++ exception ever leaves an export.
// - The error detail of the last failed call on this thread is read with sb_error_message /
//   sb_error_backtrace (copied into a caller buffer; the return value is the full length needed).
// - Tensors cross as opaque sb_tensor handles (a heap at::Tensor, one reference). Inputs are borrowed;
//   every tensor written to an out-parameter is a new handle owned by the caller (free it with
//   sb_tensor_free). An undefined tensor (e.g. a missing .grad) is returned as NULL with SB_OK.
// - Scalars go by value (double or int64). Int lists are (pointer, length). dtype is c10::ScalarType's
//   number, -1 meaning "unchanged / default". Devices are (type, index): type 0 = CPU, 1 = CUDA, -1 = unchanged.
#pragma once
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define SB_API __attribute__((visibility("default")))
#else
#define SB_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define SB_ABI_VERSION 2

enum sb_status {
  SB_OK = 0,
  SB_E_TORCH = 1,        // c10::Error (shape, dtype, device checks: most ATen failures)
  SB_E_ARGUMENT = 2,     // c10::IndexError / ValueError / TypeError, or our own argument checks
  SB_E_DEVICE_OOM = 3,   // c10::OutOfMemoryError
  SB_E_DEVICE_FATAL = 4, // sticky CUDA errors (device-side assert, illegal address)
  SB_E_UNSUPPORTED = 5,  // c10::NotImplementedError, or a feature this build lacks
  SB_E_HOST_OOM = 6,     // std::bad_alloc
  SB_E_STD = 7,          // other std::exception
  SB_E_UNKNOWN = 8,      // anything else
  SB_E_IO = 9,           // file could not be opened / mapped
};

typedef struct sb_tensor_s* sb_tensor;
typedef struct sb_list_s* sb_tensor_list;
typedef struct sb_generator_s* sb_generator;
typedef struct sb_mode_s* sb_mode_token;

// ---- errors and process ----
SB_API int64_t sb_error_message(char* buf, int64_t cap);
SB_API int64_t sb_error_backtrace(char* buf, int64_t cap);
SB_API int32_t sb_error_code(void);
SB_API int32_t sb_abi_version(void);
SB_API int64_t sb_torch_version(char* buf, int64_t cap);
SB_API int32_t sb_set_num_threads(int32_t n);
SB_API int32_t sb_get_num_threads(int32_t* n);
SB_API int32_t sb_set_num_interop_threads(int32_t n);
SB_API int32_t sb_manual_seed(int64_t seed);
SB_API int32_t sb_cuda_is_available(int32_t* available);
SB_API int32_t sb_cuda_device_count(int32_t* count);
SB_API int32_t sb_cuda_synchronize(int32_t device);
SB_API int32_t sb_cuda_empty_cache(void);
SB_API int32_t sb_cuda_memory_stats(int32_t device, int64_t* allocated, int64_t* reserved, int64_t* peak_allocated);
SB_API int32_t sb_generator_new(int64_t seed, int32_t device_type, int32_t device_index, sb_generator* out);
SB_API int32_t sb_generator_free(sb_generator g);
SB_API int32_t sb_generator_manual_seed(sb_generator g, int64_t seed);

// ---- lifetime and metadata ----
SB_API int32_t sb_tensor_free(sb_tensor t);
SB_API int32_t sb_tensor_shallow_clone(sb_tensor t, sb_tensor* out);  // a second handle to the same tensor
SB_API int32_t sb_tensor_dim(sb_tensor t, int64_t* dim);
SB_API int32_t sb_tensor_sizes(sb_tensor t, int64_t* buf, int64_t cap);
SB_API int32_t sb_tensor_strides(sb_tensor t, int64_t* buf, int64_t cap);
SB_API int32_t sb_tensor_storage_offset(sb_tensor t, int64_t* offset);
SB_API int32_t sb_tensor_dtype(sb_tensor t, int32_t* dtype);
SB_API int32_t sb_tensor_device(sb_tensor t, int32_t* type, int32_t* index);
SB_API int32_t sb_tensor_is_contiguous(sb_tensor t, int32_t* contiguous);
// memory format: 0 contiguous (NCHW), 1 channels-last (NHWC strides, 4-D only)
SB_API int32_t sb_tensor_is_contiguous_format(sb_tensor t, int32_t format, int32_t* contiguous);
SB_API int32_t sb_contiguous_format(sb_tensor t, int32_t format, sb_tensor* out);
SB_API int32_t sb_tensor_requires_grad(sb_tensor t, int32_t* requires_grad);
SB_API int32_t sb_tensor_nbytes(sb_tensor t, int64_t* nbytes);
// Replaces t's data (storage, dtype, device) with src's, keeping the handle: Module.to() swaps parameters this way.
SB_API int32_t sb_tensor_set_data(sb_tensor t, sb_tensor src);

// ---- data in and out ----
SB_API int32_t sb_tensor_from_buffer(const void* data, int64_t nbytes, int32_t dtype, const int64_t* shape, int32_t ndim,
                                     int32_t device_type, int32_t device_index, sb_tensor* out);
SB_API int32_t sb_tensor_copy_to(sb_tensor t, void* dst, int64_t nbytes);
SB_API int32_t sb_tensor_item_double(sb_tensor t, double* value);
SB_API int32_t sb_tensor_item_int64(sb_tensor t, int64_t* value);
SB_API int32_t sb_tensor_map_file(const char* path, sb_tensor* out);  // whole file as uint8 [len], copy-on-write mmap

// ---- creation ----
SB_API int32_t sb_full(const int64_t* shape, int32_t ndim, double value, int32_t dtype, int32_t device_type,
                       int32_t device_index, sb_tensor* out);
SB_API int32_t sb_empty(const int64_t* shape, int32_t ndim, int32_t dtype, int32_t device_type, int32_t device_index,
                        sb_tensor* out);
SB_API int32_t sb_arange(double start, double end, double step, int32_t dtype, int32_t device_type, int32_t device_index,
                         sb_tensor* out);
SB_API int32_t sb_linspace(double start, double end, int64_t steps, int32_t dtype, int32_t device_type,
                           int32_t device_index, sb_tensor* out);
// kind: 0 randn, 1 rand
SB_API int32_t sb_random(int32_t kind, const int64_t* shape, int32_t ndim, sb_generator g, int32_t dtype,
                         int32_t device_type, int32_t device_index, sb_tensor* out);
SB_API int32_t sb_randint(int64_t low, int64_t high, const int64_t* shape, int32_t ndim, sb_generator g, int32_t dtype,
                          int32_t device_type, int32_t device_index, sb_tensor* out);
SB_API int32_t sb_normal_(sb_tensor t, double mean, double std, sb_generator g);
SB_API int32_t sb_uniform_(sb_tensor t, double from, double to, sb_generator g);

// ---- elementwise (op codes in ops.def, mirrored by the managed enums) ----
SB_API int32_t sb_unary(int32_t op, sb_tensor a, sb_tensor* out);
SB_API int32_t sb_unary_(int32_t op, sb_tensor a);
SB_API int32_t sb_binary(int32_t op, sb_tensor a, sb_tensor b, sb_tensor* out);
SB_API int32_t sb_binary_(int32_t op, sb_tensor a, sb_tensor b);
SB_API int32_t sb_binary_scalar(int32_t op, sb_tensor a, double s, sb_tensor* out);
SB_API int32_t sb_binary_scalar_(int32_t op, sb_tensor a, double s);
SB_API int32_t sb_scalar_binary(int32_t op, double s, sb_tensor a, sb_tensor* out);  // s (op) a
SB_API int32_t sb_add_scaled(sb_tensor a, sb_tensor b, double alpha, sb_tensor* out);  // a + alpha * b
SB_API int32_t sb_add_scaled_(sb_tensor a, sb_tensor b, double alpha);
SB_API int32_t sb_addcmul_(sb_tensor a, sb_tensor b, sb_tensor c, double value);
SB_API int32_t sb_addcdiv_(sb_tensor a, sb_tensor b, sb_tensor c, double value);
SB_API int32_t sb_clamp(sb_tensor a, double min, uint8_t has_min, double max, uint8_t has_max, sb_tensor* out);
SB_API int32_t sb_clamp_(sb_tensor a, double min, uint8_t has_min, double max, uint8_t has_max);
SB_API int32_t sb_where(sb_tensor cond, sb_tensor a, sb_tensor b, sb_tensor* out);
SB_API int32_t sb_lerp(sb_tensor a, sb_tensor b, sb_tensor weight, double weight_scalar, sb_tensor* out);
SB_API int32_t sb_masked_fill(sb_tensor a, sb_tensor mask, double value, sb_tensor* out);
SB_API int32_t sb_leaky_relu(sb_tensor a, double slope, sb_tensor* out);
SB_API int32_t sb_leaky_relu_(sb_tensor a, double slope);
SB_API int32_t sb_gelu(sb_tensor a, uint8_t tanh_approx, sb_tensor* out);
SB_API int32_t sb_fill_(sb_tensor a, double value);
SB_API int32_t sb_copy_(sb_tensor dst, sb_tensor src);
SB_API int32_t sb_equal(sb_tensor a, sb_tensor b, int32_t* equal);
SB_API int32_t sb_allclose(sb_tensor a, sb_tensor b, double rtol, double atol, int32_t* close);

// ---- reductions ----
// op: 0 sum, 1 mean, 2 amax, 3 amin, 4 prod, 5 logsumexp, 6 all, 7 any
SB_API int32_t sb_reduce(int32_t op, sb_tensor a, const int64_t* dims, int32_t ndims, uint8_t keepdim, int32_t dtype,
                         sb_tensor* out);
SB_API int32_t sb_var_std(uint8_t is_std, sb_tensor a, const int64_t* dims, int32_t ndims, int64_t correction,
                          uint8_t keepdim, sb_tensor* out);
SB_API int32_t sb_norm(sb_tensor a, double p, const int64_t* dims, int32_t ndims, uint8_t keepdim, sb_tensor* out);
// op: 0 max, 1 min
SB_API int32_t sb_minmax_dim(int32_t op, sb_tensor a, int64_t dim, uint8_t keepdim, sb_tensor* values, sb_tensor* indices);
// op: 0 argmax, 1 argmin; has_dim = 0 flattens
SB_API int32_t sb_argminmax(int32_t op, sb_tensor a, int64_t dim, uint8_t has_dim, uint8_t keepdim, sb_tensor* out);
SB_API int32_t sb_topk(sb_tensor a, int64_t k, int64_t dim, uint8_t largest, uint8_t sorted, sb_tensor* values,
                       sb_tensor* indices);
SB_API int32_t sb_sort(sb_tensor a, int64_t dim, uint8_t descending, sb_tensor* values, sb_tensor* indices);
// op: 0 cumsum, 1 cumprod
SB_API int32_t sb_scan(int32_t op, sb_tensor a, int64_t dim, sb_tensor* out);

// ---- shape and indexing ----
// op: 0 view, 1 reshape, 2 permute, 3 expand, 4 repeat, 5 flip
SB_API int32_t sb_shape_op(int32_t op, sb_tensor a, const int64_t* dims, int32_t ndims, sb_tensor* out);
SB_API int32_t sb_transpose(sb_tensor a, int64_t d0, int64_t d1, sb_tensor* out);
SB_API int32_t sb_unsqueeze(sb_tensor a, int64_t dim, sb_tensor* out);
SB_API int32_t sb_squeeze(sb_tensor a, int64_t dim, uint8_t all, sb_tensor* out);
SB_API int32_t sb_flatten(sb_tensor a, int64_t start, int64_t end, sb_tensor* out);
SB_API int32_t sb_narrow(sb_tensor a, int64_t dim, int64_t start, int64_t length, sb_tensor* out);
SB_API int32_t sb_slice(sb_tensor a, int64_t dim, int64_t start, int64_t end, int64_t step, sb_tensor* out);
SB_API int32_t sb_select(sb_tensor a, int64_t dim, int64_t index, sb_tensor* out);
SB_API int32_t sb_index_select(sb_tensor a, int64_t dim, sb_tensor index, sb_tensor* out);
SB_API int32_t sb_gather(sb_tensor a, int64_t dim, sb_tensor index, sb_tensor* out);
SB_API int32_t sb_as_strided(sb_tensor a, const int64_t* size, const int64_t* stride, int32_t ndim, int64_t offset,
                             sb_tensor* out);
SB_API int32_t sb_view_dtype(sb_tensor a, int32_t dtype, sb_tensor* out);
SB_API int32_t sb_triangle(uint8_t upper, sb_tensor a, int64_t diagonal, sb_tensor* out);
SB_API int32_t sb_cat(const sb_tensor* ts, int32_t n, int64_t dim, sb_tensor* out);
SB_API int32_t sb_stack(const sb_tensor* ts, int32_t n, int64_t dim, sb_tensor* out);
SB_API int32_t sb_chunk(sb_tensor a, int64_t chunks, int64_t dim, sb_tensor_list* out);
SB_API int32_t sb_split(sb_tensor a, const int64_t* sizes, int32_t n, int64_t dim, sb_tensor_list* out);
// mode: 0 constant, 1 reflect, 2 replicate, 3 circular
SB_API int32_t sb_pad(sb_tensor a, const int64_t* pads, int32_t npads, int32_t mode, double value, sb_tensor* out);
SB_API int32_t sb_embedding(sb_tensor weight, sb_tensor indices, sb_tensor* out);
SB_API int32_t sb_to(sb_tensor a, int32_t dtype, int32_t device_type, int32_t device_index, uint8_t copy,
                     sb_tensor* out);

SB_API int32_t sb_list_len(sb_tensor_list l, int64_t* len);
SB_API int32_t sb_list_take(sb_tensor_list l, int64_t i, sb_tensor* out);  // new handle for element i
SB_API int32_t sb_list_name(sb_tensor_list l, int64_t i, char* buf, int64_t cap, int64_t* needed);
SB_API int32_t sb_list_free(sb_tensor_list l);

// ---- linear algebra and neural-network ops ----
SB_API int32_t sb_linear(sb_tensor x, sb_tensor w, sb_tensor b, sb_tensor* out);
SB_API int32_t sb_addmm(sb_tensor c, sb_tensor a, sb_tensor b, double beta, double alpha, sb_tensor* out);
SB_API int32_t sb_baddbmm(sb_tensor c, sb_tensor a, sb_tensor b, double beta, double alpha, sb_tensor* out);
SB_API int32_t sb_einsum(const char* equation, const sb_tensor* ts, int32_t n, sb_tensor* out);
SB_API int32_t sb_conv2d(sb_tensor x, sb_tensor w, sb_tensor b, const int64_t* stride, const int64_t* padding,
                         const int64_t* dilation, int64_t groups, sb_tensor* out);
SB_API int32_t sb_conv_transpose2d(sb_tensor x, sb_tensor w, sb_tensor b, const int64_t* stride, const int64_t* padding,
                                   const int64_t* output_padding, int64_t groups, const int64_t* dilation,
                                   sb_tensor* out);
// op: 0 softmax, 1 log_softmax
SB_API int32_t sb_softmax(int32_t op, sb_tensor a, int64_t dim, int32_t dtype, sb_tensor* out);
SB_API int32_t sb_layer_norm(sb_tensor x, const int64_t* normalized_shape, int32_t n, sb_tensor w, sb_tensor b,
                             double eps, sb_tensor* out);
SB_API int32_t sb_group_norm(sb_tensor x, int64_t groups, sb_tensor w, sb_tensor b, double eps, sb_tensor* out);
SB_API int32_t sb_cosine_similarity(sb_tensor a, sb_tensor b, int64_t dim, double eps, sb_tensor* out);
// mode: 0 nearest, 1 bilinear, 2 bicubic, 3 area; align_corners: -1 = unset
SB_API int32_t sb_interpolate(sb_tensor x, int64_t out_h, int64_t out_w, int32_t mode, int32_t align_corners,
                              uint8_t antialias, sb_tensor* out);
SB_API int32_t sb_avg_pool2d(sb_tensor x, const int64_t* kernel, const int64_t* stride, const int64_t* padding,
                             uint8_t ceil_mode, uint8_t count_include_pad, sb_tensor* out);
SB_API int32_t sb_adaptive_avg_pool2d(sb_tensor x, int64_t out_h, int64_t out_w, sb_tensor* out);
SB_API int32_t sb_mse_loss(sb_tensor a, sb_tensor b, int32_t reduction, sb_tensor* out);

// ---- autograd and modes ----
SB_API int32_t sb_requires_grad_(sb_tensor t, uint8_t requires_grad);
SB_API int32_t sb_grad(sb_tensor t, sb_tensor* out);
SB_API int32_t sb_set_grad(sb_tensor t, sb_tensor grad);  // grad NULL clears
SB_API int32_t sb_detach(sb_tensor t, sb_tensor* out);
SB_API int32_t sb_backward(sb_tensor t, sb_tensor grad, uint8_t retain_graph, uint8_t create_graph);
SB_API int32_t sb_autograd_grad(const sb_tensor* outputs, int32_t n_out, const sb_tensor* inputs, int32_t n_in,
                                const sb_tensor* grad_outputs, uint8_t retain_graph, uint8_t create_graph,
                                sb_tensor_list* out);
SB_API int32_t sb_grad_set_enabled(uint8_t enabled);
SB_API int32_t sb_grad_is_enabled(int32_t* enabled);
SB_API int32_t sb_inference_mode_enter(sb_mode_token* token);
SB_API int32_t sb_inference_mode_exit(sb_mode_token token);
SB_API int32_t sb_is_inference(sb_tensor t, int32_t* inference);

// ---- archives ----
SB_API int32_t sb_jit_load_named_tensors(const char* path, sb_tensor_list* out);

#ifdef __cplusplus
}
#endif
