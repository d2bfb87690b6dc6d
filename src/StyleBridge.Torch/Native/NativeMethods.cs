using System.Runtime.InteropServices;

namespace StyleBridge.Torch.Native;

/// <summary>P/Invoke declarations of the sbtorch C ABI (src/native/include/sbtorch.h). Every call returns a status.</summary>
internal static partial class NativeMethods
{
    internal const string Lib = "sbtorch";

    // errors and process
    [LibraryImport(Lib)] internal static unsafe partial long sb_error_message(byte* buf, long cap);
    [LibraryImport(Lib)] internal static unsafe partial long sb_error_backtrace(byte* buf, long cap);
    [LibraryImport(Lib)] internal static partial int sb_abi_version();
    [LibraryImport(Lib)] internal static unsafe partial long sb_torch_version(byte* buf, long cap);
    [LibraryImport(Lib)] internal static partial int sb_set_num_threads(int n);
    [LibraryImport(Lib)] internal static partial int sb_get_num_threads(out int n);
    [LibraryImport(Lib)] internal static partial int sb_set_num_interop_threads(int n);
    [LibraryImport(Lib)] internal static partial int sb_manual_seed(long seed);
    [LibraryImport(Lib)] internal static partial int sb_cuda_is_available(out int available);
    [LibraryImport(Lib)] internal static partial int sb_cuda_device_count(out int count);
    [LibraryImport(Lib)] internal static partial int sb_cuda_synchronize(int device);
    [LibraryImport(Lib)] internal static partial int sb_cuda_empty_cache();
    [LibraryImport(Lib)] internal static partial int sb_cuda_memory_stats(int device, out long allocated, out long reserved, out long peak);
    [LibraryImport(Lib)] internal static partial int sb_generator_new(long seed, int deviceType, int deviceIndex, out IntPtr gen);
    [LibraryImport(Lib)] internal static partial int sb_generator_free(IntPtr gen);
    [LibraryImport(Lib)] internal static partial int sb_generator_manual_seed(GeneratorHandle gen, long seed);

    // lifetime and metadata
    [LibraryImport(Lib)] internal static partial int sb_tensor_free(IntPtr t);
    [LibraryImport(Lib)] internal static partial int sb_tensor_shallow_clone(TensorHandle t, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_tensor_dim(TensorHandle t, out long dim);
    [LibraryImport(Lib)] internal static unsafe partial int sb_tensor_sizes(TensorHandle t, long* buf, long cap);
    [LibraryImport(Lib)] internal static unsafe partial int sb_tensor_strides(TensorHandle t, long* buf, long cap);
    [LibraryImport(Lib)] internal static partial int sb_tensor_storage_offset(TensorHandle t, out long offset);
    [LibraryImport(Lib)] internal static partial int sb_tensor_dtype(TensorHandle t, out int dtype);
    [LibraryImport(Lib)] internal static partial int sb_tensor_device(TensorHandle t, out int type, out int index);
    [LibraryImport(Lib)] internal static partial int sb_tensor_is_contiguous(TensorHandle t, out int contiguous);
    [LibraryImport(Lib)] internal static partial int sb_tensor_is_contiguous_format(TensorHandle t, int format, out int contiguous);
    [LibraryImport(Lib)] internal static partial int sb_contiguous_format(TensorHandle t, int format, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_tensor_requires_grad(TensorHandle t, out int requiresGrad);
    [LibraryImport(Lib)] internal static partial int sb_tensor_set_data(TensorHandle t, TensorHandle src);

    // data
    [LibraryImport(Lib)] internal static unsafe partial int sb_tensor_from_buffer(void* data, long nbytes, int dtype, long* shape, int ndim, int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Lib)] internal static unsafe partial int sb_tensor_copy_to(TensorHandle t, void* dst, long nbytes);
    [LibraryImport(Lib)] internal static partial int sb_tensor_item_double(TensorHandle t, out double value);
    [LibraryImport(Lib)] internal static partial int sb_tensor_item_int64(TensorHandle t, out long value);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial int sb_tensor_map_file(string path, out IntPtr result);

    // creation
    [LibraryImport(Lib)] internal static unsafe partial int sb_full(long* shape, int ndim, double value, int dtype, int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Lib)] internal static unsafe partial int sb_empty(long* shape, int ndim, int dtype, int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_arange(double start, double end, double step, int dtype, int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_linspace(double start, double end, long steps, int dtype, int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Lib)] internal static unsafe partial int sb_random(int kind, long* shape, int ndim, IntPtr gen, int dtype, int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Lib)] internal static unsafe partial int sb_randint(long low, long high, long* shape, int ndim, IntPtr gen, int dtype, int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_normal_(TensorHandle t, double mean, double std, IntPtr gen);
    [LibraryImport(Lib)] internal static partial int sb_uniform_(TensorHandle t, double from, double to, IntPtr gen);

    // elementwise
    [LibraryImport(Lib)] internal static partial int sb_unary(int op, TensorHandle a, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_unary_(int op, TensorHandle a);
    [LibraryImport(Lib)] internal static partial int sb_binary(int op, TensorHandle a, TensorHandle b, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_binary_(int op, TensorHandle a, TensorHandle b);
    [LibraryImport(Lib)] internal static partial int sb_binary_scalar(int op, TensorHandle a, double s, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_binary_scalar_(int op, TensorHandle a, double s);
    [LibraryImport(Lib)] internal static partial int sb_scalar_binary(int op, double s, TensorHandle a, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_add_scaled(TensorHandle a, TensorHandle b, double alpha, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_add_scaled_(TensorHandle a, TensorHandle b, double alpha);
    [LibraryImport(Lib)] internal static partial int sb_addcmul_(TensorHandle a, TensorHandle b, TensorHandle c, double value);
    [LibraryImport(Lib)] internal static partial int sb_addcdiv_(TensorHandle a, TensorHandle b, TensorHandle c, double value);
    [LibraryImport(Lib)] internal static partial int sb_clamp(TensorHandle a, double min, byte hasMin, double max, byte hasMax, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_clamp_(TensorHandle a, double min, byte hasMin, double max, byte hasMax);
    [LibraryImport(Lib)] internal static partial int sb_where(TensorHandle cond, TensorHandle a, TensorHandle b, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_lerp(TensorHandle a, TensorHandle b, IntPtr weight, double weightScalar, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_masked_fill(TensorHandle a, TensorHandle mask, double value, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_leaky_relu(TensorHandle a, double slope, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_leaky_relu_(TensorHandle a, double slope);
    [LibraryImport(Lib)] internal static partial int sb_gelu(TensorHandle a, byte tanhApprox, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_fill_(TensorHandle a, double value);
    [LibraryImport(Lib)] internal static partial int sb_copy_(TensorHandle dst, TensorHandle src);
    [LibraryImport(Lib)] internal static partial int sb_equal(TensorHandle a, TensorHandle b, out int equal);
    [LibraryImport(Lib)] internal static partial int sb_allclose(TensorHandle a, TensorHandle b, double rtol, double atol, out int close);

    // reductions
    [LibraryImport(Lib)] internal static unsafe partial int sb_reduce(int op, TensorHandle a, long* dims, int ndims, byte keepdim, int dtype, out IntPtr result);
    [LibraryImport(Lib)] internal static unsafe partial int sb_var_std(byte isStd, TensorHandle a, long* dims, int ndims, long correction, byte keepdim, out IntPtr result);
    [LibraryImport(Lib)] internal static unsafe partial int sb_norm(TensorHandle a, double p, long* dims, int ndims, byte keepdim, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_minmax_dim(int op, TensorHandle a, long dim, byte keepdim, out IntPtr values, out IntPtr indices);
    [LibraryImport(Lib)] internal static partial int sb_argminmax(int op, TensorHandle a, long dim, byte hasDim, byte keepdim, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_topk(TensorHandle a, long k, long dim, byte largest, byte sorted, out IntPtr values, out IntPtr indices);
    [LibraryImport(Lib)] internal static partial int sb_sort(TensorHandle a, long dim, byte descending, out IntPtr values, out IntPtr indices);
    [LibraryImport(Lib)] internal static partial int sb_scan(int op, TensorHandle a, long dim, out IntPtr result);

    // shape and indexing
    [LibraryImport(Lib)] internal static unsafe partial int sb_shape_op(int op, TensorHandle a, long* dims, int ndims, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_transpose(TensorHandle a, long d0, long d1, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_unsqueeze(TensorHandle a, long dim, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_squeeze(TensorHandle a, long dim, byte all, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_flatten(TensorHandle a, long start, long end, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_narrow(TensorHandle a, long dim, long start, long length, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_slice(TensorHandle a, long dim, long start, long end, long step, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_select(TensorHandle a, long dim, long index, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_index_select(TensorHandle a, long dim, TensorHandle index, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_gather(TensorHandle a, long dim, TensorHandle index, out IntPtr result);
    [LibraryImport(Lib)] internal static unsafe partial int sb_as_strided(TensorHandle a, long* size, long* stride, int ndim, long offset, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_view_dtype(TensorHandle a, int dtype, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_triangle(byte upper, TensorHandle a, long diagonal, out IntPtr result);
    [LibraryImport(Lib)] internal static unsafe partial int sb_cat(IntPtr* ts, int n, long dim, out IntPtr result);
    [LibraryImport(Lib)] internal static unsafe partial int sb_stack(IntPtr* ts, int n, long dim, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_chunk(TensorHandle a, long chunks, long dim, out IntPtr list);
    [LibraryImport(Lib)] internal static unsafe partial int sb_split(TensorHandle a, long* sizes, int n, long dim, out IntPtr list);
    [LibraryImport(Lib)] internal static unsafe partial int sb_pad(TensorHandle a, long* pads, int npads, int mode, double value, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_embedding(TensorHandle weight, TensorHandle indices, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_to(TensorHandle a, int dtype, int deviceType, int deviceIndex, byte copy, out IntPtr result);

    [LibraryImport(Lib)] internal static partial int sb_list_len(IntPtr list, out long len);
    [LibraryImport(Lib)] internal static partial int sb_list_take(IntPtr list, long i, out IntPtr result);
    [LibraryImport(Lib)] internal static unsafe partial int sb_list_name(IntPtr list, long i, byte* buf, long cap, out long needed);
    [LibraryImport(Lib)] internal static partial int sb_list_free(IntPtr list);

    // nn
    [LibraryImport(Lib)] internal static partial int sb_linear(TensorHandle x, TensorHandle w, IntPtr b, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_addmm(TensorHandle c, TensorHandle a, TensorHandle b, double beta, double alpha, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_baddbmm(TensorHandle c, TensorHandle a, TensorHandle b, double beta, double alpha, out IntPtr result);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static unsafe partial int sb_einsum(string equation, IntPtr* ts, int n, out IntPtr result);
    [LibraryImport(Lib)] internal static unsafe partial int sb_conv2d(TensorHandle x, TensorHandle w, IntPtr b, long* stride, long* padding, long* dilation, long groups, out IntPtr result);
    [LibraryImport(Lib)] internal static unsafe partial int sb_conv_transpose2d(TensorHandle x, TensorHandle w, IntPtr b, long* stride, long* padding, long* outputPadding, long groups, long* dilation, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_softmax(int op, TensorHandle a, long dim, int dtype, out IntPtr result);
    [LibraryImport(Lib)] internal static unsafe partial int sb_layer_norm(TensorHandle x, long* normalizedShape, int n, IntPtr w, IntPtr b, double eps, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_group_norm(TensorHandle x, long groups, IntPtr w, IntPtr b, double eps, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_cosine_similarity(TensorHandle a, TensorHandle b, long dim, double eps, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_interpolate(TensorHandle x, long outH, long outW, int mode, int alignCorners, byte antialias, out IntPtr result);
    [LibraryImport(Lib)] internal static unsafe partial int sb_avg_pool2d(TensorHandle x, long* kernel, long* stride, long* padding, byte ceilMode, byte countIncludePad, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_adaptive_avg_pool2d(TensorHandle x, long outH, long outW, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_mse_loss(TensorHandle a, TensorHandle b, int reduction, out IntPtr result);

    // autograd and modes
    [LibraryImport(Lib)] internal static partial int sb_requires_grad_(TensorHandle t, byte requiresGrad);
    [LibraryImport(Lib)] internal static partial int sb_grad(TensorHandle t, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_set_grad(TensorHandle t, IntPtr grad);
    [LibraryImport(Lib)] internal static partial int sb_detach(TensorHandle t, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int sb_backward(TensorHandle t, IntPtr grad, byte retainGraph, byte createGraph);
    [LibraryImport(Lib)] internal static unsafe partial int sb_autograd_grad(IntPtr* outputs, int nOut, IntPtr* inputs, int nIn, IntPtr* gradOutputs, byte retainGraph, byte createGraph, out IntPtr list);
    [LibraryImport(Lib)] internal static partial int sb_grad_set_enabled(byte enabled);
    [LibraryImport(Lib)] internal static partial int sb_grad_is_enabled(out int enabled);
    [LibraryImport(Lib)] internal static partial int sb_inference_mode_enter(out IntPtr token);
    [LibraryImport(Lib)] internal static partial int sb_inference_mode_exit(IntPtr token);
    [LibraryImport(Lib)] internal static partial int sb_is_inference(TensorHandle t, out int inference);

    // archives
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial int sb_jit_load_named_tensors(string path, out IntPtr list);
}
