# How pytest-llmeval compiles llama-server (given as CMAKE_PROJECT_INCLUDE by local/setup.py,
# with -O1 as the default). The build is the longest step of a first set-up, so:
# - only ggml, the kernels every token runs through, is compiled at -O3; the rest of llama.cpp
#   (server, JSON, chat templates, sampling) at -O1 decodes as fast here and compiles faster;
# - the common library and the server, whose files each parse the same large JSON and template
#   headers, are compiled as unity builds (llama.cpp's own src/ is one already).
if(PROJECT_NAME STREQUAL "ggml")
  set(CMAKE_C_FLAGS_RELEASE "-O3 -DNDEBUG")
  set(CMAKE_CXX_FLAGS_RELEASE "-O3 -DNDEBUG")
elseif(PROJECT_NAME STREQUAL "llama.cpp")
  function(_llmeval_unity_targets)
    foreach(target llama-common server-context llama-server-impl)
      if(TARGET ${target})
        set_target_properties(${target} PROPERTIES UNITY_BUILD ON)
      endif()
    endforeach()
  endfunction()
  cmake_language(DEFER CALL _llmeval_unity_targets)
endif()
