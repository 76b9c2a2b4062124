# One shared settings target: every library and executable links it.
add_library(bulkhead_settings INTERFACE)
target_compile_options(bulkhead_settings INTERFACE
  -Wall -Wextra -Wpedantic -Werror -Wshadow -Wnon-virtual-dtor -Wcast-align
  -Wunused -Woverloaded-virtual -Wformat=2 -Wimplicit-fallthrough)
target_compile_definitions(bulkhead_settings INTERFACE
  BULKHEAD_VERSION="${PROJECT_VERSION}" _FILE_OFFSET_BITS=64)
if(BULKHEAD_SANITIZE)
  target_compile_options(bulkhead_settings INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(bulkhead_settings INTERFACE -fsanitize=address,undefined)
endif()
if(BULKHEAD_FUZZ)
  target_compile_options(bulkhead_settings INTERFACE -fsanitize=fuzzer-no-link,address,undefined)
  target_link_options(bulkhead_settings INTERFACE -fsanitize=address,undefined)
endif()

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
  set(CMAKE_C_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()
