# bulkhead_embed_files(<output.cpp> PREFIX <p> HEADER <h> NAMESPACE <ns> FUNCTION <fn> FILES ...)
# Generates <output.cpp> defining `const std::vector<EmbeddedFile>& <ns>::<fn>()` that holds
# each file's text (see cmake/embed_files.cmake and src/core/embedded_file.h).
function(bulkhead_embed_files output)
  cmake_parse_arguments(ARG "" "PREFIX;HEADER;NAMESPACE;FUNCTION" "FILES" ${ARGN})
  list(SORT ARG_FILES)
  string(REPLACE ";" "|" inputs "${ARG_FILES}")
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${output} "-DINPUTS=${inputs}" -DPREFIX=${ARG_PREFIX}
            -DHEADER=${ARG_HEADER} -DNAMESPACE=${ARG_NAMESPACE} -DFUNCTION=${ARG_FUNCTION}
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake
    DEPENDS ${ARG_FILES} ${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake
    COMMENT "Embedding ${ARG_PREFIX}*"
    VERBATIM)
endfunction()
