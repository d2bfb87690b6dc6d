// Elementwise ops, reductions, shape and indexing.
#include "common.h"

using sb::guard;
using sb::put;
using sb::T;

#define SB_NONE (throw sb::ArgumentError("op has no such variant"), at::Tensor())

extern "C" {

int32_t sb_unary(int32_t op, sb_tensor ha, sb_tensor* out) {
  return guard("unary", [&] {
    auto& a = T(ha);
    switch (op) {
#define SB_UNARY(code, name, expr, inplace) \
  case code: put(out, expr); return;
#include "ops.def"
      default: throw sb::ArgumentError("unknown unary op " + std::to_string(op));
    }
  });
}

int32_t sb_unary_(int32_t op, sb_tensor ha) {
  return guard("unary_", [&] {
    auto& a = T(ha);
    switch (op) {
#define SB_UNARY(code, name, expr, inplace) \
  case code: (void)(inplace); return;
#include "ops.def"
      default: throw sb::ArgumentError("unknown unary op " + std::to_string(op));
    }
  });
}

int32_t sb_binary(int32_t op, sb_tensor ha, sb_tensor hb, sb_tensor* out) {
  return guard("binary", [&] {
    auto& a = T(ha);
    auto& b = T(hb);
    switch (op) {
#define SB_BINARY(code, name, expr, inplace, sexpr, sinplace) \
  case code: put(out, expr); return;
#include "ops.def"
      default: throw sb::ArgumentError("unknown binary op " + std::to_string(op));
    }
  });
}

int32_t sb_binary_(int32_t op, sb_tensor ha, sb_tensor hb) {
  return guard("binary_", [&] {
    auto& a = T(ha);
    auto& b = T(hb);
    switch (op) {
#define SB_BINARY(code, name, expr, inplace, sexpr, sinplace) \
  case code: (void)(inplace); return;
#include "ops.def"
      default: throw sb::ArgumentError("unknown binary op " + std::to_string(op));
    }
  });
}

int32_t sb_binary_scalar(int32_t op, sb_tensor ha, double value, sb_tensor* out) {
  return guard("binary_scalar", [&] {
    auto& a = T(ha);
    at::Scalar s = sb::scalar_for(a, value);
    switch (op) {
#define SB_BINARY(code, name, expr, inplace, sexpr, sinplace) \
  case code: put(out, sexpr); return;
#include "ops.def"
      default: throw sb::ArgumentError("unknown binary op " + std::to_string(op));
    }
  });
}

int32_t sb_binary_scalar_(int32_t op, sb_tensor ha, double value) {
  return guard("binary_scalar_", [&] {
    auto& a = T(ha);
    at::Scalar s = sb::scalar_for(a, value);
    switch (op) {
#define SB_BINARY(code, name, expr, inplace, sexpr, sinplace) \
  case code: (void)(sinplace); return;
#include "ops.def"
      default: throw sb::ArgumentError("unknown binary op " + std::to_string(op));
    }
  });
}

int32_t sb_scalar_binary(int32_t op, double value, sb_tensor ha, sb_tensor* out) {
  return guard("scalar_binary", [&] {
    auto& a = T(ha);
    at::Scalar s = sb::scalar_for(a, value);
    switch (op) {
      case 1: put(out, at::rsub(a, s)); return;                                    // s - a
      case 3: put(out, at::div(at::scalar_tensor(s, a.options()), a)); return;      // s / a
      case 4: put(out, at::pow(s, a)); return;                                      // s ** a
      default: throw sb::ArgumentError("unsupported scalar-first op " + std::to_string(op));
    }
  });
}

int32_t sb_add_scaled(sb_tensor a, sb_tensor b, double alpha, sb_tensor* out) {
  return guard("add", [&] { put(out, T(a).add(T(b), alpha)); });
}

int32_t sb_add_scaled_(sb_tensor a, sb_tensor b, double alpha) {
  return guard("add_", [&] { T(a).add_(T(b), alpha); });
}

int32_t sb_addcmul_(sb_tensor a, sb_tensor b, sb_tensor c, double value) {
  return guard("addcmul_", [&] { T(a).addcmul_(T(b), T(c), value); });
}

int32_t sb_addcdiv_(sb_tensor a, sb_tensor b, sb_tensor c, double value) {
  return guard("addcdiv_", [&] { T(a).addcdiv_(T(b), T(c), value); });
}

int32_t sb_clamp(sb_tensor a, double min, uint8_t has_min, double max, uint8_t has_max, sb_tensor* out) {
  return guard("clamp", [&] {
    c10::optional<at::Scalar> lo = has_min ? c10::optional<at::Scalar>(sb::scalar_for(T(a), min)) : c10::nullopt;
    c10::optional<at::Scalar> hi = has_max ? c10::optional<at::Scalar>(sb::scalar_for(T(a), max)) : c10::nullopt;
    put(out, T(a).clamp(lo, hi));
  });
}

int32_t sb_clamp_(sb_tensor a, double min, uint8_t has_min, double max, uint8_t has_max) {
  return guard("clamp_", [&] {
    c10::optional<at::Scalar> lo = has_min ? c10::optional<at::Scalar>(sb::scalar_for(T(a), min)) : c10::nullopt;
    c10::optional<at::Scalar> hi = has_max ? c10::optional<at::Scalar>(sb::scalar_for(T(a), max)) : c10::nullopt;
    T(a).clamp_(lo, hi);
  });
}

int32_t sb_where(sb_tensor cond, sb_tensor a, sb_tensor b, sb_tensor* out) {
  return guard("where", [&] { put(out, at::where(T(cond), T(a), T(b))); });
}

int32_t sb_lerp(sb_tensor a, sb_tensor b, sb_tensor weight, double weight_scalar, sb_tensor* out) {
  return guard("lerp", [&] {
    if (weight != nullptr) put(out, T(a).lerp(T(b), T(weight)));
    else put(out, T(a).lerp(T(b), weight_scalar));
  });
}

int32_t sb_masked_fill(sb_tensor a, sb_tensor mask, double value, sb_tensor* out) {
  return guard("masked_fill", [&] { put(out, T(a).masked_fill(T(mask), sb::scalar_for(T(a), value))); });
}

int32_t sb_leaky_relu(sb_tensor a, double slope, sb_tensor* out) {
  return guard("leaky_relu", [&] { put(out, at::leaky_relu(T(a), slope)); });
}

int32_t sb_leaky_relu_(sb_tensor a, double slope) {
  return guard("leaky_relu_", [&] { at::leaky_relu_(T(a), slope); });
}

int32_t sb_gelu(sb_tensor a, uint8_t tanh_approx, sb_tensor* out) {
  return guard("gelu", [&] { put(out, at::gelu(T(a), tanh_approx ? "tanh" : "none")); });
}

int32_t sb_fill_(sb_tensor a, double value) {
  return guard("fill_", [&] { T(a).fill_(sb::scalar_for(T(a), value)); });
}

int32_t sb_copy_(sb_tensor dst, sb_tensor src) {
  return guard("copy_", [&] { T(dst).copy_(T(src)); });
}

int32_t sb_equal(sb_tensor a, sb_tensor b, int32_t* equal) {
  return guard("equal", [&] { *equal = at::equal(T(a), T(b)) ? 1 : 0; });
}

int32_t sb_allclose(sb_tensor a, sb_tensor b, double rtol, double atol, int32_t* close) {
  return guard("allclose", [&] { *close = at::allclose(T(a), T(b), rtol, atol) ? 1 : 0; });
}

int32_t sb_reduce(int32_t op, sb_tensor ha, const int64_t* dims, int32_t ndims, uint8_t keepdim, int32_t dtype,
                  sb_tensor* out) {
  return guard("reduce", [&] {
    auto& a = T(ha);
    auto d = sb::ints(dims, ndims);
    auto dt = sb::opt_dtype(dtype);
    bool all = ndims == 0;
    switch (op) {
      case 0: put(out, all ? a.sum(dt) : a.sum(d, keepdim, dt)); return;
      case 1: put(out, all ? a.mean(dt) : a.mean(d, keepdim, dt)); return;
      case 2: put(out, all ? a.amax(at::IntArrayRef{}, keepdim) : a.amax(d, keepdim)); return;
      case 3: put(out, all ? a.amin(at::IntArrayRef{}, keepdim) : a.amin(d, keepdim)); return;
      case 4:
        if (all) { put(out, a.prod(dt)); return; }
        if (ndims != 1) throw sb::ArgumentError("prod takes one dim");
        put(out, a.prod(d[0], keepdim, dt));
        return;
      case 5: {
        std::vector<int64_t> every;
        for (int64_t i = 0; i < a.dim(); ++i) every.push_back(i);
        put(out, a.logsumexp(all ? at::IntArrayRef(every) : d, keepdim));
        return;
      }
      case 6:
        if (all) { put(out, a.all()); return; }
        if (ndims != 1) throw sb::ArgumentError("all takes one dim");
        put(out, a.all(d[0], keepdim));
        return;
      case 7:
        if (all) { put(out, a.any()); return; }
        if (ndims != 1) throw sb::ArgumentError("any takes one dim");
        put(out, a.any(d[0], keepdim));
        return;
      default: throw sb::ArgumentError("unknown reduction " + std::to_string(op));
    }
  });
}

int32_t sb_var_std(uint8_t is_std, sb_tensor ha, const int64_t* dims, int32_t ndims, int64_t correction, uint8_t keepdim,
                   sb_tensor* out) {
  return guard(is_std ? "std" : "var", [&] {
    auto& a = T(ha);
    c10::optional<at::IntArrayRef> d = ndims == 0 ? c10::nullopt : c10::optional<at::IntArrayRef>(sb::ints(dims, ndims));
    // The correction argument changed type between libtorch 1.13 (int64) and 2.x (Scalar); the `unbiased` overload is
    // the same in both, and other corrections rescale the biased estimate: var_c = var_0 * n / (n - c).
    if (correction == 0 || correction == 1) {
      bool unbiased = correction == 1;
      put(out, is_std ? at::std(a, d, unbiased, keepdim) : at::var(a, d, unbiased, keepdim));
      return;
    }
    int64_t n = 1;
    if (ndims == 0) n = a.numel();
    else for (int32_t i = 0; i < ndims; ++i) n *= a.size(dims[i]);
    if (n - correction <= 0) throw sb::ArgumentError("correction leaves no degrees of freedom");
    auto v = at::var(a, d, false, keepdim).mul(static_cast<double>(n) / static_cast<double>(n - correction));
    put(out, is_std ? v.sqrt() : v);
  });
}

int32_t sb_norm(sb_tensor ha, double p, const int64_t* dims, int32_t ndims, uint8_t keepdim, sb_tensor* out) {
  return guard("norm", [&] {
    auto& a = T(ha);
    if (ndims == 0) put(out, at::linalg_vector_norm(a, p, c10::nullopt, keepdim));
    else put(out, at::linalg_vector_norm(a, p, sb::ints(dims, ndims), keepdim));
  });
}

int32_t sb_minmax_dim(int32_t op, sb_tensor ha, int64_t dim, uint8_t keepdim, sb_tensor* values, sb_tensor* indices) {
  return guard(op == 0 ? "max" : "min", [&] {
    auto r = op == 0 ? T(ha).max(dim, keepdim) : T(ha).min(dim, keepdim);
    put(values, std::get<0>(r));
    put(indices, std::get<1>(r));
  });
}

int32_t sb_argminmax(int32_t op, sb_tensor ha, int64_t dim, uint8_t has_dim, uint8_t keepdim, sb_tensor* out) {
  return guard(op == 0 ? "argmax" : "argmin", [&] {
    c10::optional<int64_t> d = has_dim ? c10::optional<int64_t>(dim) : c10::nullopt;
    put(out, op == 0 ? T(ha).argmax(d, keepdim) : T(ha).argmin(d, keepdim));
  });
}

int32_t sb_topk(sb_tensor ha, int64_t k, int64_t dim, uint8_t largest, uint8_t sorted, sb_tensor* values,
                sb_tensor* indices) {
  return guard("topk", [&] {
    auto r = T(ha).topk(k, dim, largest, sorted);
    put(values, std::get<0>(r));
    put(indices, std::get<1>(r));
  });
}

int32_t sb_sort(sb_tensor ha, int64_t dim, uint8_t descending, sb_tensor* values, sb_tensor* indices) {
  return guard("sort", [&] {
    auto r = T(ha).sort(dim, descending);
    put(values, std::get<0>(r));
    put(indices, std::get<1>(r));
  });
}

int32_t sb_scan(int32_t op, sb_tensor ha, int64_t dim, sb_tensor* out) {
  return guard(op == 0 ? "cumsum" : "cumprod", [&] {
    if (op == 0) put(out, T(ha).cumsum(dim));
    else if (op == 1) put(out, T(ha).cumprod(dim));
    else throw sb::ArgumentError("unknown scan op");
  });
}

int32_t sb_shape_op(int32_t op, sb_tensor ha, const int64_t* dims, int32_t ndims, sb_tensor* out) {
  return guard("shape_op", [&] {
    auto& a = T(ha);
    auto d = sb::ints(dims, ndims);
    switch (op) {
      case 0: put(out, a.view(d)); return;
      case 1: put(out, a.reshape(d)); return;
      case 2: put(out, a.permute(d)); return;
      case 3: put(out, a.expand(d)); return;
      case 4: put(out, a.repeat(d)); return;
      case 5: put(out, a.flip(d)); return;
      default: throw sb::ArgumentError("unknown shape op " + std::to_string(op));
    }
  });
}

int32_t sb_transpose(sb_tensor a, int64_t d0, int64_t d1, sb_tensor* out) {
  return guard("transpose", [&] { put(out, T(a).transpose(d0, d1)); });
}

int32_t sb_unsqueeze(sb_tensor a, int64_t dim, sb_tensor* out) {
  return guard("unsqueeze", [&] { put(out, T(a).unsqueeze(dim)); });
}

int32_t sb_squeeze(sb_tensor a, int64_t dim, uint8_t all, sb_tensor* out) {
  return guard("squeeze", [&] { put(out, all ? T(a).squeeze() : T(a).squeeze(dim)); });
}

int32_t sb_flatten(sb_tensor a, int64_t start, int64_t end, sb_tensor* out) {
  return guard("flatten", [&] { put(out, T(a).flatten(start, end)); });
}

int32_t sb_narrow(sb_tensor a, int64_t dim, int64_t start, int64_t length, sb_tensor* out) {
  return guard("narrow", [&] { put(out, T(a).narrow(dim, start, length)); });
}

int32_t sb_slice(sb_tensor a, int64_t dim, int64_t start, int64_t end, int64_t step, sb_tensor* out) {
  return guard("slice", [&] { put(out, T(a).slice(dim, start, end, step)); });
}

int32_t sb_select(sb_tensor a, int64_t dim, int64_t index, sb_tensor* out) {
  return guard("select", [&] { put(out, T(a).select(dim, index)); });
}

int32_t sb_index_select(sb_tensor a, int64_t dim, sb_tensor index, sb_tensor* out) {
  return guard("index_select", [&] { put(out, T(a).index_select(dim, T(index))); });
}

int32_t sb_gather(sb_tensor a, int64_t dim, sb_tensor index, sb_tensor* out) {
  return guard("gather", [&] { put(out, T(a).gather(dim, T(index))); });
}

int32_t sb_as_strided(sb_tensor a, const int64_t* size, const int64_t* stride, int32_t ndim, int64_t offset,
                      sb_tensor* out) {
  return guard("as_strided", [&] {
    auto& t = T(a);
    auto sz = sb::ints(size, ndim);
    auto st = sb::ints(stride, ndim);
    // as_strided does not check bounds against the storage; do it here so a corrupt file cannot read outside it.
    int64_t last = offset;
    for (int32_t i = 0; i < ndim; ++i) {
      if (sz[i] < 0 || st[i] < 0) throw sb::ArgumentError("negative size or stride");
      if (sz[i] == 0) { last = -1; break; }
      last += (sz[i] - 1) * st[i];
    }
    int64_t capacity = static_cast<int64_t>(t.storage().nbytes() / t.element_size());
    if (offset < 0 || last >= capacity)
      throw sb::ArgumentError("view reaches element " + std::to_string(last) + " of a storage holding " +
                              std::to_string(capacity));
    put(out, t.as_strided(sz, st, offset));
  });
}

int32_t sb_view_dtype(sb_tensor a, int32_t dtype, sb_tensor* out) {
  return guard("view_dtype", [&] { put(out, T(a).view(sb::dtype(dtype))); });
}

int32_t sb_triangle(uint8_t upper, sb_tensor a, int64_t diagonal, sb_tensor* out) {
  return guard(upper ? "triu" : "tril", [&] { put(out, upper ? T(a).triu(diagonal) : T(a).tril(diagonal)); });
}

int32_t sb_cat(const sb_tensor* ts, int32_t n, int64_t dim, sb_tensor* out) {
  return guard("cat", [&] { put(out, at::cat(sb::tensors(ts, n), dim)); });
}

int32_t sb_stack(const sb_tensor* ts, int32_t n, int64_t dim, sb_tensor* out) {
  return guard("stack", [&] { put(out, at::stack(sb::tensors(ts, n), dim)); });
}

int32_t sb_chunk(sb_tensor a, int64_t chunks, int64_t dim, sb_tensor_list* out) {
  return guard("chunk", [&] { *out = sb::make_list(T(a).chunk(chunks, dim)); });
}

int32_t sb_split(sb_tensor a, const int64_t* sizes, int32_t n, int64_t dim, sb_tensor_list* out) {
  return guard("split", [&] { *out = sb::make_list(T(a).split_with_sizes(sb::ints(sizes, n), dim)); });
}

int32_t sb_pad(sb_tensor a, const int64_t* pads, int32_t npads, int32_t mode, double value, sb_tensor* out) {
  return guard("pad", [&] {
    auto p = sb::ints(pads, npads);
    switch (mode) {
      case 0: put(out, at::constant_pad_nd(T(a), p, value)); return;
      case 1:
        if (npads == 2) put(out, at::reflection_pad1d(T(a), p));
        else if (npads == 4) put(out, at::reflection_pad2d(T(a), p));
        else throw sb::ArgumentError("reflect pad takes 2 or 4 values");
        return;
      case 2:
        if (npads == 2) put(out, at::replication_pad1d(T(a), p));
        else if (npads == 4) put(out, at::replication_pad2d(T(a), p));
        else throw sb::ArgumentError("replicate pad takes 2 or 4 values");
        return;
      case 3: {
        // circular: wrap each padded dim, last dim first, as torch.nn.functional.pad does
        at::Tensor x = T(a);
        for (int32_t i = 0; i < npads / 2; ++i) {
          int64_t dim = x.dim() - 1 - i;
          int64_t before = p[2 * i], after = p[2 * i + 1], len = x.size(dim);
          std::vector<at::Tensor> parts;
          if (before > 0) parts.push_back(x.narrow(dim, len - before, before));
          parts.push_back(x);
          if (after > 0) parts.push_back(x.narrow(dim, 0, after));
          x = at::cat(parts, dim);
        }
        put(out, x);
        return;
      }
      default: throw sb::ArgumentError("unknown pad mode");
    }
  });
}

int32_t sb_embedding(sb_tensor weight, sb_tensor indices, sb_tensor* out) {
  return guard("embedding", [&] { put(out, at::embedding(T(weight), T(indices))); });
}

int32_t sb_to(sb_tensor a, int32_t dtype, int32_t device_type, int32_t device_index, uint8_t copy, sb_tensor* out) {
  return guard("to", [&] {
    auto& t = T(a);
    at::ScalarType dt = dtype < 0 ? t.scalar_type() : sb::dtype(dtype);
    at::Device dev = device_type < 0 ? t.device() : sb::device(device_type, device_index);
    put(out, t.to(dev, dt, /*non_blocking=*/false, copy != 0));
  });
}

int32_t sb_list_len(sb_tensor_list l, int64_t* len) {
  return guard("list_len", [&] { *len = static_cast<int64_t>(l->tensors.size()); });
}

int32_t sb_list_take(sb_tensor_list l, int64_t i, sb_tensor* out) {
  return guard("list_take", [&] {
    if (i < 0 || i >= static_cast<int64_t>(l->tensors.size())) throw sb::ArgumentError("list index out of range");
    put(out, l->tensors[static_cast<size_t>(i)]);
  });
}

int32_t sb_list_name(sb_tensor_list l, int64_t i, char* buf, int64_t cap, int64_t* needed) {
  return guard("list_name", [&] {
    if (i < 0 || i >= static_cast<int64_t>(l->names.size())) throw sb::ArgumentError("list has no name at that index");
    *needed = sb::copy_string(l->names[static_cast<size_t>(i)], buf, cap);
  });
}

int32_t sb_list_free(sb_tensor_list l) {
  return guard("list_free", [&] { delete l; });
}

}
