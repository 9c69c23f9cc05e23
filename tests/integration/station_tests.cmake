# The station's integration test (sim, api and modbus sources through a real
# csmsd); included from tests/integration/CMakeLists.txt.
csms_py_test(test_station_api)
# off grid with the sim, api and modbus sources (issue 11, item 7)
csms_py_test(test_station_offgrid)
# the learned forecast kept over a restart (issue 11, item 8)
csms_py_test(test_station_forecast)
