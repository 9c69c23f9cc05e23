# The admin's OCPP commands (issue 6): every CS-initiated action end to end,
# what the answers mean, alarms, diagnosis, /metrics. Included by
# tests/integration/CMakeLists.txt; the programs are in CMAKE_BINARY_DIR.
if(NOT SYS_PYTHON3)
  set(SYS_PYTHON3 /usr/bin/python3)
endif()
foreach(t test_commands test_command_meaning test_alarms test_charger_mgmt test_registry test_admin_close
    test_charger_language)
  if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/${t}.py)
    add_test(NAME it_${t}
      COMMAND ${SYS_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/${t}.py ${CMAKE_BINARY_DIR})
    set_tests_properties(it_${t} PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77
      ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
  endif()
endforeach()
