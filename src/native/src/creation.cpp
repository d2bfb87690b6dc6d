// Factories and random numbers. Generators are explicit so that seeded runs match Python's
// torch.Generator().manual_seed(s) draws on the same libtorch.
#include "common.h"

#include <ATen/CPUGeneratorImpl.h>

struct sb_generator_s {
  at::Generator gen;
};

using sb::guard;
using sb::put;
using sb::T;

namespace {
c10::optional<at::Generator> gen_of(sb_generator g) {
  if (g == nullptr) return c10::nullopt;
  return g->gen;
}
}  // namespace

extern "C" {

int32_t sb_generator_new(int64_t seed, int32_t device_type, int32_t device_index, sb_generator* out) {
  return guard("generator_new", [&] {
    at::Generator g;
    if (device_type == 1) {
      auto d = sb::device(device_type, device_index);
      g = at::globalContext().defaultGenerator(d).clone();
    } else {
      g = at::detail::createCPUGenerator(static_cast<uint64_t>(seed));
    }
    {
      std::lock_guard<std::mutex> lock(g.mutex());
      g.set_current_seed(static_cast<uint64_t>(seed));
    }
    *out = new sb_generator_s{std::move(g)};
  });
}

int32_t sb_generator_free(sb_generator g) {
  return guard("generator_free", [&] { delete g; });
}

int32_t sb_generator_manual_seed(sb_generator g, int64_t seed) {
  return guard("generator_manual_seed", [&] {
    if (g == nullptr) throw sb::ArgumentError("generator is NULL");
    std::lock_guard<std::mutex> lock(g->gen.mutex());
    g->gen.set_current_seed(static_cast<uint64_t>(seed));
  });
}

int32_t sb_full(const int64_t* shape, int32_t ndim, double value, int32_t dtype, int32_t device_type,
                int32_t device_index, sb_tensor* out) {
  return guard("full", [&] {
    auto o = sb::options(dtype, device_type, device_index);
    at::Scalar s = (at::isFloatingType(c10::typeMetaToScalarType(o.dtype())) || value != static_cast<double>(static_cast<int64_t>(value)))
                       ? at::Scalar(value)
                       : at::Scalar(static_cast<int64_t>(value));
    put(out, at::full(sb::ints(shape, ndim), s, o));
  });
}

int32_t sb_empty(const int64_t* shape, int32_t ndim, int32_t dtype, int32_t device_type, int32_t device_index,
                 sb_tensor* out) {
  return guard("empty", [&] { put(out, at::empty(sb::ints(shape, ndim), sb::options(dtype, device_type, device_index))); });
}

int32_t sb_arange(double start, double end, double step, int32_t dtype, int32_t device_type, int32_t device_index,
                  sb_tensor* out) {
  return guard("arange", [&] {
    auto o = sb::options(dtype < 0 ? 4 : dtype, device_type, device_index);
    put(out, at::arange(start, end, step, o));
  });
}

int32_t sb_linspace(double start, double end, int64_t steps, int32_t dtype, int32_t device_type, int32_t device_index,
                    sb_tensor* out) {
  return guard("linspace", [&] { put(out, at::linspace(start, end, steps, sb::options(dtype, device_type, device_index))); });
}

int32_t sb_random(int32_t kind, const int64_t* shape, int32_t ndim, sb_generator g, int32_t dtype, int32_t device_type,
                  int32_t device_index, sb_tensor* out) {
  return guard(kind == 0 ? "randn" : "rand", [&] {
    auto o = sb::options(dtype, device_type, device_index);
    auto sizes = sb::ints(shape, ndim);
    if (kind == 0) put(out, at::randn(sizes, gen_of(g), o));
    else if (kind == 1) put(out, at::rand(sizes, gen_of(g), o));
    else throw sb::ArgumentError("unknown random kind");
  });
}

int32_t sb_randint(int64_t low, int64_t high, const int64_t* shape, int32_t ndim, sb_generator g, int32_t dtype,
                   int32_t device_type, int32_t device_index, sb_tensor* out) {
  return guard("randint", [&] {
    auto o = sb::options(dtype < 0 ? 4 : dtype, device_type, device_index);
    put(out, at::randint(low, high, sb::ints(shape, ndim), gen_of(g), o));
  });
}

int32_t sb_normal_(sb_tensor t, double mean, double std, sb_generator g) {
  return guard("normal_", [&] { T(t).normal_(mean, std, gen_of(g)); });
}

int32_t sb_uniform_(sb_tensor t, double from, double to, sb_generator g) {
  return guard("uniform_", [&] { T(t).uniform_(from, to, gen_of(g)); });
}

}
