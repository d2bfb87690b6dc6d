// Linear algebra and neural-network functionals.
#include "common.h"

using sb::guard;
using sb::opt;
using sb::put;
using sb::T;

namespace {
at::IntArrayRef pair(const int64_t* v, const char* what) {
  if (v == nullptr) throw sb::ArgumentError(std::string(what) + " is NULL");
  return at::IntArrayRef(v, 2);
}
}  // namespace

extern "C" {

int32_t sb_linear(sb_tensor x, sb_tensor w, sb_tensor b, sb_tensor* out) {
  return guard("linear", [&] { put(out, at::linear(T(x), T(w), opt(b))); });
}

int32_t sb_addmm(sb_tensor c, sb_tensor a, sb_tensor b, double beta, double alpha, sb_tensor* out) {
  return guard("addmm", [&] { put(out, at::addmm(T(c), T(a), T(b), beta, alpha)); });
}

int32_t sb_baddbmm(sb_tensor c, sb_tensor a, sb_tensor b, double beta, double alpha, sb_tensor* out) {
  return guard("baddbmm", [&] { put(out, at::baddbmm(T(c), T(a), T(b), beta, alpha)); });
}

int32_t sb_einsum(const char* equation, const sb_tensor* ts, int32_t n, sb_tensor* out) {
  return guard("einsum", [&] {
    if (equation == nullptr) throw sb::ArgumentError("equation is NULL");
    put(out, at::einsum(equation, sb::tensors(ts, n)));
  });
}

int32_t sb_conv2d(sb_tensor x, sb_tensor w, sb_tensor b, const int64_t* stride, const int64_t* padding,
                  const int64_t* dilation, int64_t groups, sb_tensor* out) {
  return guard("conv2d", [&] {
    put(out, at::conv2d(T(x), T(w), opt(b), pair(stride, "stride"), pair(padding, "padding"), pair(dilation, "dilation"),
                        groups));
  });
}

int32_t sb_conv_transpose2d(sb_tensor x, sb_tensor w, sb_tensor b, const int64_t* stride, const int64_t* padding,
                            const int64_t* output_padding, int64_t groups, const int64_t* dilation, sb_tensor* out) {
  return guard("conv_transpose2d", [&] {
    put(out, at::conv_transpose2d(T(x), T(w), opt(b), pair(stride, "stride"), pair(padding, "padding"),
                                  pair(output_padding, "output_padding"), groups, pair(dilation, "dilation")));
  });
}

int32_t sb_softmax(int32_t op, sb_tensor a, int64_t dim, int32_t dtype, sb_tensor* out) {
  return guard(op == 0 ? "softmax" : "log_softmax", [&] {
    auto dt = sb::opt_dtype(dtype);
    put(out, op == 0 ? at::softmax(T(a), dim, dt) : at::log_softmax(T(a), dim, dt));
  });
}

int32_t sb_layer_norm(sb_tensor x, const int64_t* normalized_shape, int32_t n, sb_tensor w, sb_tensor b, double eps,
                      sb_tensor* out) {
  return guard("layer_norm", [&] { put(out, at::layer_norm(T(x), sb::ints(normalized_shape, n), opt(w), opt(b), eps)); });
}

int32_t sb_group_norm(sb_tensor x, int64_t groups, sb_tensor w, sb_tensor b, double eps, sb_tensor* out) {
  return guard("group_norm", [&] { put(out, at::group_norm(T(x), groups, opt(w), opt(b), eps)); });
}

int32_t sb_cosine_similarity(sb_tensor a, sb_tensor b, int64_t dim, double eps, sb_tensor* out) {
  return guard("cosine_similarity", [&] { put(out, at::cosine_similarity(T(a), T(b), dim, eps)); });
}

int32_t sb_interpolate(sb_tensor x, int64_t out_h, int64_t out_w, int32_t mode, int32_t align_corners,
                       uint8_t antialias, sb_tensor* out) {
  return guard("interpolate", [&] {
    auto& t = T(x);
    if (t.dim() != 4) throw sb::ArgumentError("interpolate expects a 4-D [N, C, H, W] tensor");
    std::vector<int64_t> size{out_h, out_w};
    bool ac = align_corners > 0;
    switch (mode) {
      case 0:
        if (antialias) throw sb::ArgumentError("antialias applies to bilinear and bicubic only");
        put(out, at::upsample_nearest2d(t, size));
        return;
      case 1:
        put(out, antialias ? at::_upsample_bilinear2d_aa(t, size, ac) : at::upsample_bilinear2d(t, size, ac));
        return;
      case 2:
        put(out, antialias ? at::_upsample_bicubic2d_aa(t, size, ac) : at::upsample_bicubic2d(t, size, ac));
        return;
      case 3:
        if (antialias) throw sb::ArgumentError("antialias applies to bilinear and bicubic only");
        put(out, at::adaptive_avg_pool2d(t, size));
        return;
      default: throw sb::ArgumentError("unknown interpolation mode");
    }
  });
}

int32_t sb_avg_pool2d(sb_tensor x, const int64_t* kernel, const int64_t* stride, const int64_t* padding,
                      uint8_t ceil_mode, uint8_t count_include_pad, sb_tensor* out) {
  return guard("avg_pool2d", [&] {
    put(out, at::avg_pool2d(T(x), pair(kernel, "kernel"), pair(stride, "stride"), pair(padding, "padding"), ceil_mode,
                            count_include_pad));
  });
}

int32_t sb_adaptive_avg_pool2d(sb_tensor x, int64_t out_h, int64_t out_w, sb_tensor* out) {
  return guard("adaptive_avg_pool2d", [&] { put(out, at::adaptive_avg_pool2d(T(x), {out_h, out_w})); });
}

int32_t sb_mse_loss(sb_tensor a, sb_tensor b, int32_t reduction, sb_tensor* out) {
  return guard("mse_loss", [&] { put(out, at::mse_loss(T(a), T(b), reduction)); });
}

}
