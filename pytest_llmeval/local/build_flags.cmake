# How pytest-llmeval compiles llama-server (given as CMAKE_PROJECT_INCLUDE by local/setup.py,
# with -O1 as the default). The build is the longest step of a first set-up, so only ggml, the
# kernels every token runs through, is compiled at -O3; the rest of llama.cpp (server, JSON,
# chat templates, sampling) at -O1 decodes as fast here and compiles a fifth faster.
if(PROJECT_NAME STREQUAL "ggml")
  set(CMAKE_C_FLAGS_RELEASE "-O3 -DNDEBUG")
  set(CMAKE_CXX_FLAGS_RELEASE "-O3 -DNDEBUG")
endif()
