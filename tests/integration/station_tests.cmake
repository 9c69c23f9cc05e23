# The station's integration test (sim, api and modbus sources through a real
# csmsd); included from tests/integration/CMakeLists.txt.
csms_py_test(test_station_api)
