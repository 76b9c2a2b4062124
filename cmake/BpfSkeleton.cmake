# eBPF programs as libbpf skeletons: vmlinux.h from the kernel's BTF, clang -target bpf,
# then bpftool gen skeleton. bulkhead_bpf_skeleton(TARGET NAME SOURCE [DEPENDS headers...])
# builds SOURCE (NAME.bpf.c) into NAME.skel.h (skeleton NAME_bpf) in the calling directory's
# binary dir and adds it, its include directory and libbpf to TARGET. Custom commands must
# live in the directory of the target that uses their output, so each library calls this
# from its own CMakeLists.txt. The BPF objects get none of the project's compile flags (no
# sanitizers, no fuzzer instrumentation).
find_program(BULKHEAD_BPF_CLANG NAMES clang clang-14 REQUIRED)
find_program(BULKHEAD_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)
pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET libbpf)
set(BULKHEAD_VMLINUX_BTF /sys/kernel/btf/vmlinux CACHE FILEPATH
  "BTF of the kernel the eBPF programs are compiled against (CO-RE relocates them at load time)")

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(BULKHEAD_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(BULKHEAD_BPF_ARCH arm64)
else()
  message(FATAL_ERROR "eBPF: no __TARGET_ARCH for ${CMAKE_SYSTEM_PROCESSOR}")
endif()

function(bulkhead_bpf_skeleton target name source)
  cmake_parse_arguments(ARG "" "" "DEPENDS" ${ARGN})
  get_filename_component(dir ${source} DIRECTORY)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/bpf-${name})
  file(MAKE_DIRECTORY ${out})
  add_custom_command(OUTPUT ${out}/vmlinux.h
    COMMAND sh -c "'${BULKHEAD_BPFTOOL}' btf dump file '${BULKHEAD_VMLINUX_BTF}' format c > vmlinux.h.tmp"
    COMMAND ${CMAKE_COMMAND} -E rename vmlinux.h.tmp vmlinux.h
    DEPENDS ${BULKHEAD_VMLINUX_BTF}
    WORKING_DIRECTORY ${out}
    COMMENT "eBPF ${name}: vmlinux.h from ${BULKHEAD_VMLINUX_BTF}"
    VERBATIM)
  add_custom_command(OUTPUT ${out}/${name}.bpf.o
    COMMAND ${BULKHEAD_BPF_CLANG} -g -O2 -Wall -Werror -target bpf
      -D__TARGET_ARCH_${BULKHEAD_BPF_ARCH} -I${out} -I${dir}
      -c ${source} -o ${out}/${name}.bpf.o
    DEPENDS ${source} ${ARG_DEPENDS} ${out}/vmlinux.h
    COMMENT "eBPF ${name}: clang -target bpf ${name}.bpf.c"
    VERBATIM)
  add_custom_command(OUTPUT ${out}/${name}.skel.h
    COMMAND sh -c "'${BULKHEAD_BPFTOOL}' gen skeleton ${name}.bpf.o name ${name}_bpf > ${name}.skel.h.tmp"
    COMMAND ${CMAKE_COMMAND} -E rename ${name}.skel.h.tmp ${name}.skel.h
    DEPENDS ${out}/${name}.bpf.o
    WORKING_DIRECTORY ${out}
    COMMENT "eBPF ${name}: bpftool gen skeleton"
    VERBATIM)
  target_sources(${target} PRIVATE ${out}/${name}.skel.h)
  target_include_directories(${target} PRIVATE ${out})
  target_link_libraries(${target} PRIVATE PkgConfig::LIBBPF)
endfunction()
