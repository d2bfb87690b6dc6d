// TorchScript archives: every parameter and buffer by its dotted name (what clip.load reads from ViT-B-32.pt).
#include <torch/script.h>

#include "common.h"

using sb::guard;

extern "C" {

int32_t sb_jit_load_named_tensors(const char* path, sb_tensor_list* out) {
  return guard("jit_load", [&] {
    if (path == nullptr) throw sb::ArgumentError("path is NULL");
    auto module = torch::jit::load(path, at::Device(at::kCPU));
    auto list = std::make_unique<sb_list_s>();
    for (const auto& p : module.named_parameters(/*recurse=*/true)) {
      list->names.push_back(p.name);
      list->tensors.push_back(p.value.detach());
    }
    for (const auto& b : module.named_buffers(/*recurse=*/true)) {
      list->names.push_back(b.name);
      list->tensors.push_back(b.value.detach());
    }
    // Tensor attributes that are neither (CLIP's traced archive keeps none, but other exporters do).
    for (const auto& a : module.named_attributes(/*recurse=*/true)) {
      if (!a.value.isTensor()) continue;
      if (std::find(list->names.begin(), list->names.end(), a.name) != list->names.end()) continue;
      list->names.push_back(a.name);
      list->tensors.push_back(a.value.toTensor().detach());
    }
    *out = list.release();
  });
}

}
