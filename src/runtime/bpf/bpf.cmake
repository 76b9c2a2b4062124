# Builds the eBPF sensor (sensor.bpf.c) into a libbpf skeleton header that
# src/runtime/sensor/sensor.cpp embeds: vmlinux.h from the kernel's BTF, clang -target bpf,
# then bpftool gen skeleton. Included from src/runtime/CMakeLists.txt (custom commands must
# live in the directory of the target that uses their output). The BPF object gets none of
# the project's compile flags (no sanitizers, no fuzzer instrumentation).
find_program(BULKHEAD_BPF_CLANG NAMES clang clang-14 REQUIRED)
find_program(BULKHEAD_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)
pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET libbpf)
set(BULKHEAD_VMLINUX_BTF /sys/kernel/btf/vmlinux CACHE FILEPATH
  "BTF of the kernel the sensor is compiled against (CO-RE relocates it at load time)")

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(BULKHEAD_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(BULKHEAD_BPF_ARCH arm64)
else()
  message(FATAL_ERROR "eBPF sensor: no __TARGET_ARCH for ${CMAKE_SYSTEM_PROCESSOR}")
endif()

set(BULKHEAD_BPF_DIR ${CMAKE_CURRENT_SOURCE_DIR}/bpf)
set(BULKHEAD_BPF_OUT ${CMAKE_CURRENT_BINARY_DIR}/bpf)
file(MAKE_DIRECTORY ${BULKHEAD_BPF_OUT})

add_custom_command(OUTPUT ${BULKHEAD_BPF_OUT}/vmlinux.h
  COMMAND sh -c "'${BULKHEAD_BPFTOOL}' btf dump file '${BULKHEAD_VMLINUX_BTF}' format c > vmlinux.h.tmp"
  COMMAND ${CMAKE_COMMAND} -E rename vmlinux.h.tmp vmlinux.h
  DEPENDS ${BULKHEAD_VMLINUX_BTF}
  WORKING_DIRECTORY ${BULKHEAD_BPF_OUT}
  COMMENT "eBPF sensor: vmlinux.h from ${BULKHEAD_VMLINUX_BTF}"
  VERBATIM)

add_custom_command(OUTPUT ${BULKHEAD_BPF_OUT}/sensor.bpf.o
  COMMAND ${BULKHEAD_BPF_CLANG} -g -O2 -Wall -Werror -target bpf
    -D__TARGET_ARCH_${BULKHEAD_BPF_ARCH} -I${BULKHEAD_BPF_OUT} -I${BULKHEAD_BPF_DIR}
    -c ${BULKHEAD_BPF_DIR}/sensor.bpf.c -o ${BULKHEAD_BPF_OUT}/sensor.bpf.o
  DEPENDS ${BULKHEAD_BPF_DIR}/sensor.bpf.c ${BULKHEAD_BPF_DIR}/sensor_abi.h
    ${BULKHEAD_BPF_OUT}/vmlinux.h
  COMMENT "eBPF sensor: clang -target bpf sensor.bpf.c"
  VERBATIM)

add_custom_command(OUTPUT ${BULKHEAD_BPF_OUT}/sensor.skel.h
  COMMAND sh -c "'${BULKHEAD_BPFTOOL}' gen skeleton sensor.bpf.o name sensor_bpf > sensor.skel.h.tmp"
  COMMAND ${CMAKE_COMMAND} -E rename sensor.skel.h.tmp sensor.skel.h
  DEPENDS ${BULKHEAD_BPF_OUT}/sensor.bpf.o
  WORKING_DIRECTORY ${BULKHEAD_BPF_OUT}
  COMMENT "eBPF sensor: bpftool gen skeleton"
  VERBATIM)

target_sources(bulkhead_runtime PRIVATE ${BULKHEAD_BPF_OUT}/sensor.skel.h)
target_include_directories(bulkhead_runtime PRIVATE ${BULKHEAD_BPF_OUT})
target_link_libraries(bulkhead_runtime PRIVATE PkgConfig::LIBBPF)
