# csmsctl against a real csmsd and a strict-mode ocpp-rpc charger. Included
# by tests/integration/CMakeLists.txt; the programs are in CMAKE_BINARY_DIR.
# Exit 77 (skipped) when node or tests/integration/node_modules is missing.
if(NOT SYS_PYTHON3)
  set(SYS_PYTHON3 /usr/bin/python3)
endif()
add_test(NAME it_test_csmsctl
  COMMAND ${SYS_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/test_csmsctl.py ${CMAKE_BINARY_DIR})
set_tests_properties(it_test_csmsctl PROPERTIES TIMEOUT 60 SKIP_RETURN_CODE 77
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
# The commands matching the API, the note while a charger is slow, tables
# that fit the terminal (issue 13, item 14).
add_test(NAME it_test_csmsctl_cmds
  COMMAND ${SYS_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/test_csmsctl_cmds.py ${CMAKE_BINARY_DIR})
set_tests_properties(it_test_csmsctl_cmds PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
