// Shared helpers of the shim: the one exception guard, handle conversion and argument decoding.
#pragma once
#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "sbtorch.h"

struct sb_list_s {
  std::vector<at::Tensor> tensors;
  std::vector<std::string> names;
};

namespace sb {

// An argument error raised by the shim itself (bad enum, NULL handle).
struct ArgumentError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

void set_error(int32_t code, const char* op, const char* message, const char* backtrace) noexcept;

// Runs `body`, turning every C++ exception into a status code plus the thread's error record.
template <class F>
int32_t guard(const char* op, F&& body) noexcept {
  try {
    body();
    return SB_OK;
  } catch (const c10::OutOfMemoryError& e) {
    set_error(SB_E_DEVICE_OOM, op, e.what_without_backtrace(), e.what());
    return SB_E_DEVICE_OOM;
  } catch (const c10::IndexError& e) {
    set_error(SB_E_ARGUMENT, op, e.what_without_backtrace(), e.what());
    return SB_E_ARGUMENT;
  } catch (const c10::ValueError& e) {
    set_error(SB_E_ARGUMENT, op, e.what_without_backtrace(), e.what());
    return SB_E_ARGUMENT;
  } catch (const c10::TypeError& e) {
    set_error(SB_E_ARGUMENT, op, e.what_without_backtrace(), e.what());
    return SB_E_ARGUMENT;
  } catch (const c10::NotImplementedError& e) {
    set_error(SB_E_UNSUPPORTED, op, e.what_without_backtrace(), e.what());
    return SB_E_UNSUPPORTED;
  } catch (const c10::Error& e) {
    const char* msg = e.what_without_backtrace();
    // Sticky CUDA failures poison the context; the service must stop using the device.
    bool fatal = std::strstr(msg, "device-side assert") != nullptr || std::strstr(msg, "illegal memory access") != nullptr ||
                 std::strstr(msg, "unspecified launch failure") != nullptr;
    int32_t code = fatal ? SB_E_DEVICE_FATAL : SB_E_TORCH;
    set_error(code, op, msg, e.what());
    return code;
  } catch (const ArgumentError& e) {
    set_error(SB_E_ARGUMENT, op, e.what(), "");
    return SB_E_ARGUMENT;
  } catch (const std::bad_alloc&) {
    set_error(SB_E_HOST_OOM, op, "out of host memory", "");
    return SB_E_HOST_OOM;
  } catch (const std::exception& e) {
    set_error(SB_E_STD, op, e.what(), "");
    return SB_E_STD;
  } catch (...) {
    set_error(SB_E_UNKNOWN, op, "unknown C++ exception", "");
    return SB_E_UNKNOWN;
  }
}

inline at::Tensor& T(sb_tensor t) {
  if (t == nullptr) throw ArgumentError("tensor handle is NULL");
  return *reinterpret_cast<at::Tensor*>(t);
}

// Optional tensor argument: NULL means absent.
inline c10::optional<at::Tensor> opt(sb_tensor t) {
  if (t == nullptr) return c10::nullopt;
  return *reinterpret_cast<at::Tensor*>(t);
}

inline void put(sb_tensor* out, at::Tensor value) {
  if (out == nullptr) throw ArgumentError("output pointer is NULL");
  *out = value.defined() ? reinterpret_cast<sb_tensor>(new at::Tensor(std::move(value))) : nullptr;
}

inline at::IntArrayRef ints(const int64_t* data, int32_t n) {
  if (n < 0 || (n > 0 && data == nullptr)) throw ArgumentError("invalid int list");
  return at::IntArrayRef(data, static_cast<size_t>(n));
}

at::ScalarType dtype(int32_t code);
c10::optional<at::ScalarType> opt_dtype(int32_t code);
at::Device device(int32_t type, int32_t index);
at::TensorOptions options(int32_t dtype_code, int32_t device_type, int32_t device_index);
std::vector<at::Tensor> tensors(const sb_tensor* ts, int32_t n);
sb_tensor_list make_list(std::vector<at::Tensor> ts);

// A scalar that keeps integer tensors integral when the value is a whole number, as Python's int does.
inline at::Scalar scalar_for(const at::Tensor& a, double s) {
  if (!at::isFloatingType(a.scalar_type()) && !at::isComplexType(a.scalar_type()) && s == static_cast<double>(static_cast<int64_t>(s)))
    return at::Scalar(static_cast<int64_t>(s));
  return at::Scalar(s);
}

// Copies into a caller buffer (NUL-terminated, truncated to fit) and returns the full length. Never throws.
inline int64_t copy_string(const char* data, size_t size, char* buf, int64_t cap) noexcept {
  if (buf != nullptr && cap > 0) {
    size_t n = std::min<size_t>(size, static_cast<size_t>(cap - 1));
    std::memcpy(buf, data, n);
    buf[n] = '\0';
  }
  return static_cast<int64_t>(size);
}

inline int64_t copy_string(const std::string& s, char* buf, int64_t cap) noexcept {
  return copy_string(s.data(), s.size(), buf, cap);
}

}  // namespace sb
