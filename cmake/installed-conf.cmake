# The slad.conf that is installed (cmake --install, the .deb), made from
# conf/slad.conf at configure time. Included by CMakeLists.txt.
#
# conf/slad.conf is the development configuration: its receivers post to
# tools/webhook_sink.py on 127.0.0.1:8089, which the demo and the tests
# start. An installed slad must notify nobody until the operator says
# whom, yet its norms.conf ladders name team_lead, supervisor, manager and
# director, and the loader requires every receiver a ladder names to exist
# with an http(s) URL. So the installed file keeps the four receivers but
# points them at https://unconfigured.invalid/<name>: ".invalid" never
# resolves (RFC 2606), so no request leaves the machine; each delivery
# fails with "Could not resolve host", is retried and, past
# delivery.budget, lands in sla:deliveries:dead, where `slactl deliveries`
# shows it. Everything else is the development file unchanged.
#
# Writes ${SLA_INSTALLED_CONF_DIR}/slad.conf and a copy of norms.conf
# beside it (so `slad --check-config` can run on the pair in the build
# tree). Fails the configure step when conf/slad.conf no longer has the
# lines replaced here, rather than install the demo sink's addresses.

set(SLA_INSTALLED_CONF_DIR ${CMAKE_BINARY_DIR}/installed-conf)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${CMAKE_SOURCE_DIR}/conf/slad.conf ${CMAKE_SOURCE_DIR}/conf/norms.conf)

file(READ ${CMAKE_SOURCE_DIR}/conf/slad.conf _sla_conf)

set(_sla_demo_url "\"http://127\\.0\\.0\\.1:8089/hooks/([a-z_]+)\"")
string(REGEX MATCHALL "${_sla_demo_url}" _sla_demo_urls "${_sla_conf}")
list(LENGTH _sla_demo_urls _sla_n)
if(NOT _sla_n EQUAL 4)
  message(FATAL_ERROR "conf/slad.conf: expected the 4 demo receiver URLs "
                      "(http://127.0.0.1:8089/hooks/NAME), found ${_sla_n}; "
                      "update cmake/installed-conf.cmake")
endif()
string(REGEX REPLACE "${_sla_demo_url}" "\"https://unconfigured.invalid/\\1\""
       _sla_conf "${_sla_conf}")

set(_sla_marker "# Who is notified. Ladders in norms.conf name these receivers.\n")
string(FIND "${_sla_conf}" "${_sla_marker}" _sla_at)
if(_sla_at LESS 0)
  message(FATAL_ERROR "conf/slad.conf: the line '${_sla_marker}' is gone; "
                      "update cmake/installed-conf.cmake")
endif()
string(REPLACE "${_sla_marker}" "# Who is notified. Ladders in norms.conf name these receivers.
#
# NOT CONFIGURED YET: the four receivers below point nowhere. The host
# unconfigured.invalid never resolves, so slad sends nothing anywhere; each
# notification fails, is retried, and after delivery.budget is kept in
# sla:deliveries:dead (`slactl deliveries --dead`). Set each url (and
# format, secret_file) to a real receiver, then `slactl reload`. Dead
# deliveries can be sent again with `slactl replay`.
" _sla_conf "${_sla_conf}")

file(WRITE ${SLA_INSTALLED_CONF_DIR}/slad.conf "${_sla_conf}")
configure_file(${CMAKE_SOURCE_DIR}/conf/norms.conf ${SLA_INSTALLED_CONF_DIR}/norms.conf COPYONLY)
