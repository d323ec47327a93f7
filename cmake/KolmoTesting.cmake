# kolmo_add_test(NAME SOURCES f.cpp... [NP 1 2] [LABELS a b] [TIMEOUT s])
# builds one Catch2 executable and registers NAME_npN for every rank count N, run through mpiexec.
# Open MPI needs --oversubscribe (more ranks than cores) and, as root, --allow-run-as-root;
# MPICH rejects both, so they are added only when mpiexec says it is Open MPI.
execute_process(COMMAND ${MPIEXEC_EXECUTABLE} --version OUTPUT_VARIABLE _kolmo_mpiexec_version
  ERROR_VARIABLE _kolmo_mpiexec_version)
set(KOLMO_MPIEXEC_PREFLAGS "")
if(_kolmo_mpiexec_version MATCHES "Open MPI|OpenRTE")
  list(APPEND KOLMO_MPIEXEC_PREFLAGS --oversubscribe)
  execute_process(COMMAND id -u OUTPUT_VARIABLE _kolmo_uid OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(_kolmo_uid STREQUAL "0")
    list(APPEND KOLMO_MPIEXEC_PREFLAGS --allow-run-as-root)
  endif()
endif()

find_package(Catch2 2 REQUIRED)
add_library(kolmo_test_main OBJECT ${PROJECT_SOURCE_DIR}/tests/test_main.cpp)
target_link_libraries(kolmo_test_main PUBLIC Kolmo::kolmo Catch2::Catch2)
target_include_directories(kolmo_test_main PUBLIC ${PROJECT_SOURCE_DIR}/tests)

# The command prefix that runs a program on N ranks, for tests that are not Catch2 executables.
function(kolmo_mpi_command out np)
  set(${out} ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np} ${KOLMO_MPIEXEC_PREFLAGS} PARENT_SCOPE)
endfunction()

function(kolmo_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;NP;LABELS" ${ARGN})
  if(NOT ARG_NP)
    set(ARG_NP 1 2)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE kolmo_test_main)
  target_compile_options(${name} PRIVATE -Wall -Wextra -Wpedantic)
  foreach(np IN LISTS ARG_NP)
    kolmo_mpi_command(cmd ${np})
    add_test(NAME ${name}_np${np} COMMAND ${cmd} $<TARGET_FILE:${name}>
      WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
    set_tests_properties(${name}_np${np} PROPERTIES LABELS "${ARG_LABELS};np${np}"
      PROCESSORS ${np} TIMEOUT ${ARG_TIMEOUT})
  endforeach()
endfunction()
