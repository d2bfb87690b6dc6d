// GCC 13 added std::ios_base_library_init() (GLIBCXX_3.4.32): libstdc++ calls it from every translation unit that
// includes <iostream>, to construct the standard streams. GCC 12's libstdc++ constructs them itself and lacks the
// function, so a library built with GCC 13 (libLibTorchSharp.so) needs this one definition to load on Debian 12.
#include <ios>

namespace std
{
__attribute__((visibility("default"))) void ios_base_library_init()
{
    static ios_base::Init init;
}
}
