# Installs slad's configuration files without overwriting the operator's:
# run by `cmake --install` (install(SCRIPT) in CMakeLists.txt), with
#   SLA_CONF_FILES  list of "SOURCE|NAME|MODE" (MODE: 0640 or 0644)
#   SLA_CONF_DIR    the destination directory (absolute, e.g. /etc/slad)
# set by an install(CODE) just before.
#
# For each file, under $DESTDIR:
#   - absent: installed;
#   - present and identical to the shipped one: left alone;
#   - present and different (edited by the operator): left alone, and the
#     shipped version is installed beside it as NAME.new, with a notice.
# The .deb does not use this to protect the files: dpkg's conffile
# handling does (the package is built into an empty DESTDIR).

# file(INSTALL) adds $DESTDIR itself; the checks must add it by hand.
set(_dir "$ENV{DESTDIR}${SLA_CONF_DIR}")
foreach(_entry IN LISTS SLA_CONF_FILES)
  string(REPLACE "|" ";" _parts "${_entry}")
  list(GET _parts 0 _src)
  list(GET _parts 1 _name)
  list(GET _parts 2 _mode)
  if(_mode STREQUAL "0640")
    set(_perms OWNER_READ OWNER_WRITE GROUP_READ)
  else()
    set(_perms OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endif()
  set(_dest "${_dir}/${_name}")
  if(NOT EXISTS "${_dest}")
    file(INSTALL DESTINATION "${SLA_CONF_DIR}" TYPE FILE FILES "${_src}"
         RENAME "${_name}" PERMISSIONS ${_perms})
  else()
    file(SHA256 "${_src}" _new_sum)
    file(SHA256 "${_dest}" _old_sum)
    if(_new_sum STREQUAL _old_sum)
      message(STATUS "Up-to-date: ${_dest}")
    else()
      file(INSTALL DESTINATION "${SLA_CONF_DIR}" TYPE FILE FILES "${_src}"
           RENAME "${_name}.new" PERMISSIONS ${_perms})
      message(NOTICE "slad: kept ${_dest} (it differs from the shipped one); "
                     "the shipped version is ${_dest}.new")
    endif()
  endif()
endforeach()
