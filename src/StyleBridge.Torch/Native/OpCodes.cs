namespace StyleBridge.Torch.Native;

// Mirrors the codes of src/native/src/ops.def; they are part of the ABI.
internal enum UnaryOp
{
    Neg = 0, Abs = 1, Sqrt = 2, Rsqrt = 3, Exp = 4, Log = 5, Sin = 6, Cos = 7, Tanh = 8, Sigmoid = 9, Relu = 10,
    Silu = 11, Square = 12, Floor = 13, Ceil = 14, Round = 15, Sign = 16, Reciprocal = 17, Erf = 18, LogicalNot = 19,
    Contiguous = 20, Clone = 21, Log1p = 22, Expm1 = 23, IsNan = 24, IsFinite = 25, Trunc = 26, Zero = 27,
    OnesLike = 28, ZerosLike = 29, EmptyLike = 30, Log2 = 31, Sinh = 32, Atan = 33, Acos = 34, RandnLike = 35,
}

internal enum BinaryOp
{
    Add = 0, Sub = 1, Mul = 2, Div = 3, Pow = 4, Maximum = 5, Minimum = 6, Eq = 7, Ne = 8, Lt = 9, Le = 10, Gt = 11,
    Ge = 12, Matmul = 13, Bmm = 14, Atan2 = 15, Remainder = 16, FloorDivide = 17, LogicalAnd = 18, LogicalOr = 19,
    Copy = 20, Mm = 21,
}

internal enum ReduceOp { Sum = 0, Mean = 1, Amax = 2, Amin = 3, Prod = 4, LogSumExp = 5, All = 6, Any = 7 }

internal enum ShapeOp { View = 0, Reshape = 1, Permute = 2, Expand = 3, Repeat = 4, Flip = 5 }
