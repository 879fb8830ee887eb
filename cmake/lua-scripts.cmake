# The Redis scripts of lib/lua/ as C strings, made at configure time (and
# again whenever a script changes: CMAKE_CONFIGURE_DEPENDS). Included by
# CMakeLists.txt; writes ${CMAKE_BINARY_DIR}/generated/sla_lua_scripts.h
# with one `static const char SLA_LUA_<NAME>[]` per lib/lua/<name>.lua
# (lease_take -> SLA_LUA_LEASE_TAKE). The .lua files stay the one source:
# the integration tests load them as they are.
file(GLOB SLA_LUA_SCRIPTS ${CMAKE_SOURCE_DIR}/lib/lua/*.lua)
list(SORT SLA_LUA_SCRIPTS)
set(SLA_LUA_HEADER "/* Generated from the files of lib/lua by cmake/lua-scripts.cmake: do not edit. */\n")
string(APPEND SLA_LUA_HEADER "#ifndef SLA_LUA_SCRIPTS_H\n#define SLA_LUA_SCRIPTS_H\n")
foreach(script ${SLA_LUA_SCRIPTS})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${script})
  get_filename_component(name ${script} NAME_WE)
  string(TOUPPER ${name} upper)
  file(READ ${script} text)
  string(REPLACE "\\" "\\\\" text "${text}")
  string(REPLACE "\"" "\\\"" text "${text}")
  string(REPLACE "\n" "\\n\"\n    \"" text "${text}")
  string(APPEND SLA_LUA_HEADER "\nstatic const char SLA_LUA_${upper}[] =\n    \"${text}\";\n")
endforeach()
string(APPEND SLA_LUA_HEADER "\n#endif\n")
# Rewritten only when it changes, so that nothing rebuilds for nothing.
set(SLA_LUA_HEADER_PATH ${CMAKE_BINARY_DIR}/generated/sla_lua_scripts.h)
set(SLA_LUA_HEADER_OLD "")
if(EXISTS ${SLA_LUA_HEADER_PATH})
  file(READ ${SLA_LUA_HEADER_PATH} SLA_LUA_HEADER_OLD)
endif()
if(NOT SLA_LUA_HEADER_OLD STREQUAL SLA_LUA_HEADER)
  file(WRITE ${SLA_LUA_HEADER_PATH} "${SLA_LUA_HEADER}")
endif()
