// Process-level functions: versions, threads, seeds, CUDA.
#include <torch/cuda.h>
#include <torch/version.h>
#include <ATen/Parallel.h>

#include "common.h"

#ifdef SB_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

using sb::guard;

extern "C" {

int32_t sb_abi_version(void) { return SB_ABI_VERSION; }

int64_t sb_torch_version(char* buf, int64_t cap) {
#ifdef SB_WITH_CUDA
  static const char version[] = TORCH_VERSION "+cuda";
#else
  static const char version[] = TORCH_VERSION "+cpu";
#endif
  return sb::copy_string(version, sizeof(version) - 1, buf, cap);
}

int32_t sb_set_num_threads(int32_t n) {
  return guard("set_num_threads", [&] {
    if (n < 1) throw sb::ArgumentError("thread count must be positive");
    at::set_num_threads(n);
  });
}

int32_t sb_get_num_threads(int32_t* n) {
  return guard("get_num_threads", [&] { *n = at::get_num_threads(); });
}

int32_t sb_set_num_interop_threads(int32_t n) {
  return guard("set_num_interop_threads", [&] {
    if (n < 1) throw sb::ArgumentError("thread count must be positive");
    at::set_num_interop_threads(n);
  });
}

int32_t sb_manual_seed(int64_t seed) {
  return guard("manual_seed", [&] { at::manual_seed(static_cast<uint64_t>(seed)); });
}

int32_t sb_cuda_is_available(int32_t* available) {
  return guard("cuda_is_available", [&] { *available = torch::cuda::is_available() ? 1 : 0; });
}

int32_t sb_cuda_device_count(int32_t* count) {
  return guard("cuda_device_count", [&] { *count = static_cast<int32_t>(torch::cuda::device_count()); });
}

int32_t sb_cuda_synchronize(int32_t device) {
  return guard("cuda_synchronize", [&] { torch::cuda::synchronize(device); });
}

int32_t sb_cuda_empty_cache(void) {
  return guard("cuda_empty_cache", [&] {
#ifdef SB_WITH_CUDA
    c10::cuda::CUDACachingAllocator::emptyCache();
#endif
  });
}

int32_t sb_cuda_memory_stats(int32_t device, int64_t* allocated, int64_t* reserved, int64_t* peak_allocated) {
  return guard("cuda_memory_stats", [&] {
#ifdef SB_WITH_CUDA
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(device));
    constexpr size_t aggregate = 0;  // StatType::AGGREGATE
    *allocated = stats.allocated_bytes[aggregate].current;
    *reserved = stats.reserved_bytes[aggregate].current;
    *peak_allocated = stats.allocated_bytes[aggregate].peak;
#else
    throw c10::NotImplementedError({__func__, __FILE__, static_cast<uint32_t>(__LINE__)},
                                   "CUDA memory statistics need a CUDA build of the shim");
#endif
  });
}

}
