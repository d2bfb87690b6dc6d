// TorchScript archives: every parameter and buffer by its dotted name (what clip.load reads from ViT-B-32.pt),
// in state_dict order: per module its parameters, then its buffers, then its children.
#include <torch/script.h>

#include "common.h"

using sb::guard;

namespace {
void collect(const torch::jit::Module& module, const std::string& prefix, sb_list_s& into) {
  auto name = [&](const std::string& n) { return prefix.empty() ? n : prefix + "." + n; };
  for (const auto& p : module.named_parameters(/*recurse=*/false)) {
    into.names.push_back(name(p.name));
    into.tensors.push_back(p.value.detach());
  }
  for (const auto& b : module.named_buffers(/*recurse=*/false)) {
    into.names.push_back(name(b.name));
    into.tensors.push_back(b.value.detach());
  }
  for (const auto& child : module.named_children()) collect(child.value, name(child.name), into);
}
}  // namespace

extern "C" {

int32_t sb_jit_load_named_tensors(const char* path, sb_tensor_list* out) {
  return guard("jit_load", [&] {
    if (path == nullptr) throw sb::ArgumentError("path is NULL");
    auto module = torch::jit::load(path, at::Device(at::kCPU));
    auto list = std::make_unique<sb_list_s>();
    collect(module, "", *list);
    *out = list.release();
  });
}

}
