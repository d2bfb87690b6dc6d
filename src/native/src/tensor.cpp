// Handle lifetime, metadata, and data in and out.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common.h"

using sb::guard;
using sb::put;
using sb::T;

extern "C" {

int32_t sb_tensor_free(sb_tensor t) {
  return guard("tensor_free", [&] { delete reinterpret_cast<at::Tensor*>(t); });
}

int32_t sb_tensor_shallow_clone(sb_tensor t, sb_tensor* out) {
  return guard("tensor_shallow_clone", [&] { put(out, T(t)); });
}

int32_t sb_tensor_dim(sb_tensor t, int64_t* dim) {
  return guard("tensor_dim", [&] { *dim = T(t).dim(); });
}

int32_t sb_tensor_sizes(sb_tensor t, int64_t* buf, int64_t cap) {
  return guard("tensor_sizes", [&] {
    auto s = T(t).sizes();
    if (cap < static_cast<int64_t>(s.size())) throw sb::ArgumentError("size buffer too small");
    std::copy(s.begin(), s.end(), buf);
  });
}

int32_t sb_tensor_strides(sb_tensor t, int64_t* buf, int64_t cap) {
  return guard("tensor_strides", [&] {
    auto s = T(t).strides();
    if (cap < static_cast<int64_t>(s.size())) throw sb::ArgumentError("stride buffer too small");
    std::copy(s.begin(), s.end(), buf);
  });
}

int32_t sb_tensor_storage_offset(sb_tensor t, int64_t* offset) {
  return guard("tensor_storage_offset", [&] { *offset = T(t).storage_offset(); });
}

int32_t sb_tensor_dtype(sb_tensor t, int32_t* dtype) {
  return guard("tensor_dtype", [&] { *dtype = static_cast<int32_t>(T(t).scalar_type()); });
}

int32_t sb_tensor_device(sb_tensor t, int32_t* type, int32_t* index) {
  return guard("tensor_device", [&] {
    auto d = T(t).device();
    *type = d.is_cuda() ? 1 : d.is_cpu() ? 0 : static_cast<int32_t>(d.type()) + 100;
    *index = d.index();
  });
}

int32_t sb_tensor_is_contiguous(sb_tensor t, int32_t* contiguous) {
  return guard("tensor_is_contiguous", [&] { *contiguous = T(t).is_contiguous() ? 1 : 0; });
}

namespace {
at::MemoryFormat memory_format(int32_t code) {
  switch (code) {
    case 0: return at::MemoryFormat::Contiguous;
    case 1: return at::MemoryFormat::ChannelsLast;
    default: throw sb::ArgumentError("unknown memory format " + std::to_string(code));
  }
}
}  // namespace

int32_t sb_tensor_is_contiguous_format(sb_tensor t, int32_t format, int32_t* contiguous) {
  return guard("tensor_is_contiguous", [&] { *contiguous = T(t).is_contiguous(memory_format(format)) ? 1 : 0; });
}

int32_t sb_contiguous_format(sb_tensor t, int32_t format, sb_tensor* out) {
  return guard("contiguous", [&] { put(out, T(t).contiguous(memory_format(format))); });
}

int32_t sb_tensor_requires_grad(sb_tensor t, int32_t* requires_grad) {
  return guard("tensor_requires_grad", [&] { *requires_grad = T(t).requires_grad() ? 1 : 0; });
}

int32_t sb_tensor_nbytes(sb_tensor t, int64_t* nbytes) {
  return guard("tensor_nbytes", [&] { *nbytes = static_cast<int64_t>(T(t).numel() * T(t).element_size()); });
}

int32_t sb_tensor_set_data(sb_tensor t, sb_tensor src) {
  return guard("tensor_set_data", [&] { T(t).set_data(T(src)); });
}

int32_t sb_tensor_from_buffer(const void* data, int64_t nbytes, int32_t dtype, const int64_t* shape, int32_t ndim,
                              int32_t device_type, int32_t device_index, sb_tensor* out) {
  return guard("tensor_from_buffer", [&] {
    auto sizes = sb::ints(shape, ndim);
    auto cpu = at::empty(sizes, at::TensorOptions().dtype(sb::dtype(dtype)));
    int64_t expected = static_cast<int64_t>(cpu.numel() * cpu.element_size());
    if (expected != nbytes)
      throw sb::ArgumentError("buffer holds " + std::to_string(nbytes) + " bytes, shape needs " + std::to_string(expected));
    if (nbytes > 0) {
      if (data == nullptr) throw sb::ArgumentError("data pointer is NULL");
      std::memcpy(cpu.data_ptr(), data, static_cast<size_t>(nbytes));
    }
    if (device_type > 0) cpu = cpu.to(sb::device(device_type, device_index));
    put(out, cpu);
  });
}

int32_t sb_tensor_copy_to(sb_tensor t, void* dst, int64_t nbytes) {
  return guard("tensor_copy_to", [&] {
    auto& a = T(t);
    int64_t have = static_cast<int64_t>(a.numel() * a.element_size());
    if (have != nbytes)
      throw sb::ArgumentError("destination holds " + std::to_string(nbytes) + " bytes, tensor has " + std::to_string(have));
    if (nbytes == 0) return;
    if (dst == nullptr) throw sb::ArgumentError("destination pointer is NULL");
    at::NoGradGuard no_grad;
    at::Tensor src = a.device().is_cpu() ? a : a.to(at::kCPU);
    // Copy through a tensor view of the destination so that strided sources need no temporary.
    auto target = at::from_blob(dst, src.sizes(), src.options().device(at::kCPU));
    target.copy_(src);
  });
}

int32_t sb_tensor_item_double(sb_tensor t, double* value) {
  return guard("tensor_item", [&] { *value = T(t).item<double>(); });
}

int32_t sb_tensor_item_int64(sb_tensor t, int64_t* value) {
  return guard("tensor_item", [&] { *value = T(t).item<int64_t>(); });
}

int32_t sb_tensor_map_file(const char* path, sb_tensor* out) {
  return guard("tensor_map_file", [&] {
    if (path == nullptr) throw sb::ArgumentError("path is NULL");
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error(std::string("cannot open '") + path + "': " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      throw std::runtime_error(std::string("cannot stat '") + path + "': " + std::strerror(err));
    }
    size_t len = static_cast<size_t>(st.st_size);
    if (len == 0) {
      ::close(fd);
      put(out, at::empty({0}, at::kByte));
      return;
    }
    // Private and writable: an in-place op on a loaded weight copies the page instead of faulting.
    void* base = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    int err = errno;
    ::close(fd);
    if (base == MAP_FAILED) throw std::runtime_error(std::string("cannot map '") + path + "': " + std::strerror(err));
    auto unmap = [len](void* p) { ::munmap(p, len); };
    put(out, at::from_blob(base, {static_cast<int64_t>(len)}, unmap, at::TensorOptions().dtype(at::kByte)));
  });
}

}
