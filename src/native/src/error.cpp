#include "common.h"

namespace {
struct ErrorRecord {
  int32_t code = SB_OK;
  std::string message;
  std::string backtrace;
};
thread_local ErrorRecord last_error;
}  // namespace

namespace sb {

void set_error(int32_t code, const char* op, const char* message, const char* backtrace) noexcept {
  last_error.code = code;
  try {
    last_error.message.assign(op).append(": ").append(message);
    last_error.backtrace.assign(backtrace);
  } catch (...) {
    // Out of memory while recording the error: keep the code, drop the text.
    last_error.message.clear();
    last_error.backtrace.clear();
  }
}


at::ScalarType dtype(int32_t code) {
  switch (code) {
    case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 11: case 15:
      return static_cast<at::ScalarType>(code);
    default:
      throw ArgumentError("unsupported dtype code " + std::to_string(code));
  }
}

c10::optional<at::ScalarType> opt_dtype(int32_t code) {
  if (code < 0) return c10::nullopt;
  return dtype(code);
}

at::Device device(int32_t type, int32_t index) {
  switch (type) {
    case 0: return at::Device(at::kCPU);
    case 1: return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index < 0 ? 0 : index));
    default: throw ArgumentError("unsupported device type " + std::to_string(type));
  }
}

at::TensorOptions options(int32_t dtype_code, int32_t device_type, int32_t device_index) {
  auto o = at::TensorOptions().dtype(dtype_code < 0 ? at::kFloat : dtype(dtype_code));
  if (device_type >= 0) o = o.device(device(device_type, device_index));
  return o;
}

std::vector<at::Tensor> tensors(const sb_tensor* ts, int32_t n) {
  if (n < 0 || (n > 0 && ts == nullptr)) throw ArgumentError("invalid tensor list");
  std::vector<at::Tensor> v;
  v.reserve(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) v.push_back(T(ts[i]));
  return v;
}

sb_tensor_list make_list(std::vector<at::Tensor> ts) {
  auto* l = new sb_list_s();
  l->tensors = std::move(ts);
  return l;
}

}  // namespace sb

extern "C" {

int64_t sb_error_message(char* buf, int64_t cap) { return sb::copy_string(last_error.message, buf, cap); }
int64_t sb_error_backtrace(char* buf, int64_t cap) { return sb::copy_string(last_error.backtrace, buf, cap); }
int32_t sb_error_code(void) { return last_error.code; }

}
